/**
 * The binary tensor data extension of the Open Inference Protocol (Triton's
 * binary_tensor_data, what tritonclient and kserve send by default): the body is a JSON header of
 * `Inference-Header-Content-Length` bytes, then each tensor's raw bytes in the order of the JSON's
 * tensors, each tensor naming its size in `parameters.binary_data_size`. Elements are little
 * endian, row-major; a BYTES element is a 4-byte little-endian length, then that many bytes.
 */
import { parseJsonBody } from './json-body.ts';

/** The request and reply header that gives the JSON part's length in bytes. */
export const INFERENCE_HEADER = 'inference-header-content-length';
/** The name servers advertise in their metadata's `extensions`. */
export const BINARY_EXTENSION = 'binary_tensor_data';

/** A malformed binary request: a 400 with a message naming what is wrong. */
export class BadBinaryBody extends Error {
  readonly statusCode = 400;
}

const NUMERIC: Record<string, { size: number; read: (v: DataView, at: number) => number | boolean }> = {
  BOOL: { size: 1, read: (v, at) => v.getUint8(at) !== 0 },
  UINT8: { size: 1, read: (v, at) => v.getUint8(at) },
  UINT16: { size: 2, read: (v, at) => v.getUint16(at, true) },
  UINT32: { size: 4, read: (v, at) => v.getUint32(at, true) },
  UINT64: { size: 8, read: (v, at) => Number(v.getBigUint64(at, true)) },
  INT8: { size: 1, read: (v, at) => v.getInt8(at) },
  INT16: { size: 2, read: (v, at) => v.getInt16(at, true) },
  INT32: { size: 4, read: (v, at) => v.getInt32(at, true) },
  INT64: { size: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  FP32: { size: 4, read: (v, at) => v.getFloat32(at, true) },
  FP64: { size: 8, read: (v, at) => v.getFloat64(at, true) },
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The elements of one BYTES tensor's raw data, each decoded as UTF-8 text. */
export function decodeBytesTensor(raw: Uint8Array, name: string): string[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: string[] = [];
  let at = 0;
  while (at < raw.byteLength) {
    if (at + 4 > raw.byteLength) throw new BadBinaryBody(`input "${name}": binary data ends inside the length of element ${out.length}`);
    const n = view.getUint32(at, true);
    at += 4;
    if (at + n > raw.byteLength) {
      throw new BadBinaryBody(`input "${name}": element ${out.length} says ${n} bytes but only ${raw.byteLength - at} remain`);
    }
    let text: string;
    try {
      text = utf8.decode(raw.subarray(at, at + n));
    } catch {
      throw new BadBinaryBody(`input "${name}": element ${out.length} is not valid UTF-8 text`);
    }
    if (text.includes('\0')) {
      throw new BadBinaryBody(
        `input "${name}": element ${out.length} has a NUL character, which is refused: the prediction log (PostgreSQL) cannot store it`,
      );
    }
    out.push(text);
    at += n;
  }
  return out;
}

function decodeTensor(raw: Uint8Array, datatype: unknown, name: string): unknown[] {
  if (datatype === 'BYTES') return decodeBytesTensor(raw, name);
  const kind = typeof datatype === 'string' ? NUMERIC[datatype] : undefined;
  if (!kind) throw new BadBinaryBody(`input "${name}": datatype ${JSON.stringify(datatype)} cannot be read as binary data`);
  if (raw.byteLength % kind.size !== 0) {
    throw new BadBinaryBody(`input "${name}": ${raw.byteLength} bytes is not a whole number of ${datatype} elements`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: unknown[] = [];
  for (let at = 0; at < raw.byteLength; at += kind.size) out.push(kind.read(view, at));
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The length the Inference-Header-Content-Length header gives, or a 400. */
export function headerLength(value: string | string[] | undefined, bodyBytes: number): number {
  const text = Array.isArray(value) ? value[0] : value;
  const n = Number(text);
  if (text === undefined || !/^[0-9]+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
    throw new BadBinaryBody(`Inference-Header-Content-Length must be a number of bytes, got ${JSON.stringify(text ?? '')}`);
  }
  if (n > bodyBytes) throw new BadBinaryBody(`Inference-Header-Content-Length is ${n} but the body has ${bodyBytes} bytes`);
  return n;
}

/**
 * A request with binary tensor data as the JSON request it stands for: each input with a
 * `binary_data_size` gets its elements as `data` (the parameter is removed), read in order from
 * the bytes after the JSON part. Every byte must belong to a tensor.
 */
export function decodeBinaryRequest(body: Buffer, jsonLength: number): unknown {
  const value = parseJsonBody(body.subarray(0, jsonLength).toString('utf8'));
  let at = jsonLength;
  if (isObject(value) && Array.isArray(value.inputs)) {
    for (const input of value.inputs) {
      if (!isObject(input) || !isObject(input.parameters) || input.parameters.binary_data_size === undefined) continue;
      const name = String(input.name);
      const size = input.parameters.binary_data_size;
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw new BadBinaryBody(`input "${name}": binary_data_size must be a number of bytes, got ${JSON.stringify(size)}`);
      }
      if (input.data !== undefined) throw new BadBinaryBody(`input "${name}" has both data and binary_data_size`);
      if (at + size > body.length) {
        throw new BadBinaryBody(`input "${name}": binary_data_size is ${size} but only ${body.length - at} bytes of binary data remain`);
      }
      input.data = decodeTensor(body.subarray(at, at + size), input.datatype, name);
      const { binary_data_size: _size, ...rest } = input.parameters;
      input.parameters = rest;
      at += size;
    }
  }
  if (at !== body.length) {
    throw new BadBinaryBody(`the body has ${body.length - at} bytes after the JSON header that no input's binary_data_size accounts for`);
  }
  return value;
}

/** One output tensor's elements as binary data. */
export function encodeTensor(datatype: 'BYTES' | 'FP32', data: ReadonlyArray<string | number>): Buffer {
  if (datatype === 'FP32') {
    const out = Buffer.allocUnsafe(4 * data.length);
    for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i] as number, 4 * i);
    return out;
  }
  const parts: Buffer[] = [];
  for (const s of data) {
    const bytes = Buffer.from(String(s), 'utf8');
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32LE(bytes.length, 0);
    parts.push(len, bytes);
  }
  return Buffer.concat(parts);
}

export interface ReplyTensor {
  name: string;
  shape: number[];
  datatype: 'BYTES' | 'FP32';
  data: Array<string | number>;
}

/**
 * An inference reply with the outputs in `binary` as binary data: the JSON header (those outputs
 * with `parameters.binary_data_size` and no `data`) and its length in bytes, then their bytes.
 */
export function encodeBinaryReply(
  head: Record<string, unknown>,
  outputs: ReplyTensor[],
  binary: ReadonlySet<string>,
): { body: Buffer; jsonLength: number } {
  const raws: Buffer[] = [];
  const described = outputs.map((o) => {
    if (!binary.has(o.name)) return o;
    const raw = encodeTensor(o.datatype, o.data);
    raws.push(raw);
    return { name: o.name, shape: o.shape, datatype: o.datatype, parameters: { binary_data_size: raw.length } };
  });
  const json = Buffer.from(JSON.stringify({ ...head, outputs: described }), 'utf8');
  return { body: Buffer.concat([json, ...raws]), jsonLength: json.length };
}
