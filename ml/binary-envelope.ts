/**
 * A checksummed container: magic (4 ASCII bytes) | u32 format version | u32 header length |
 * JSON header | zero padding to 4 bytes | Float32 arrays (little-endian) | sha256 of all before.
 * Model files and training checkpoints both use it.
 */
import { createHash } from 'node:crypto';
import { MlError } from './errors.ts';

export interface Envelope<H> {
  header: H;
  arrays: Float32Array[];
  /** The format version the bytes carry (one of those the caller reads). */
  formatVersion: number;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function encodeEnvelope(magic: string, formatVersion: number, header: object, arrays: Float32Array[]): Buffer {
  const lengths = arrays.map((a) => a.length);
  const headerBytes = Buffer.from(JSON.stringify({ ...header, arrayLengths: lengths }), 'utf8');
  const padded = Math.ceil(headerBytes.length / 4) * 4;
  const dataBytes = lengths.reduce((s, n) => s + n * 4, 0);
  const out = Buffer.alloc(12 + padded + dataBytes + 32);
  out.write(magic, 0, 4, 'ascii');
  out.writeUInt32LE(formatVersion, 4);
  out.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(out, 12);
  let offset = 12 + padded;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, offset);
    offset += a.byteLength;
  }
  createHash('sha256').update(out.subarray(0, offset)).digest().copy(out, offset);
  return out;
}

/** Decodes and checks an envelope; `formatVersions` are the versions the caller reads (the newest last). */
export function decodeEnvelope<H>(bytes: Uint8Array, magic: string, formatVersions: readonly number[], what: string): Envelope<H> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 + 32 || buf.toString('ascii', 0, 4) !== magic) {
    throw new MlError('ModelCorrupted', `${what} is not a Nightshift ${magic} file (bad magic or too short)`);
  }
  const body = buf.subarray(0, buf.length - 32);
  const expected = buf.subarray(buf.length - 32);
  const actual = createHash('sha256').update(body).digest();
  if (!actual.equals(expected)) {
    throw new MlError('ModelCorrupted', `${what} failed its sha256 checksum: the bytes are corrupted`);
  }
  const version = buf.readUInt32LE(4);
  if (!formatVersions.includes(version)) {
    throw new MlError(
      'UnsupportedModelFormat',
      `${what} has format version ${version}; this Nightshift reads format version${formatVersions.length > 1 ? 's' : ''} ${formatVersions.join(', ')}`,
    );
  }
  const headerLength = buf.readUInt32LE(8);
  const parsed = JSON.parse(buf.toString('utf8', 12, 12 + headerLength)) as H & { arrayLengths: number[] };
  let offset = 12 + Math.ceil(headerLength / 4) * 4;
  const arrays: Float32Array[] = [];
  for (const n of parsed.arrayLengths) {
    const copy = new Float32Array(n);
    Buffer.from(copy.buffer).set(buf.subarray(offset, offset + n * 4));
    arrays.push(copy);
    offset += n * 4;
  }
  if (offset !== body.length) {
    throw new MlError('ModelCorrupted', `${what} has ${body.length - offset} unexpected trailing bytes`);
  }
  return { header: parsed, arrays, formatVersion: version };
}
