/**
 * The binary tensor data extension's byte layout (as tritonclient's serialize_byte_tensor writes
 * it) and MLflow's CSV bodies, without a server.
 */
import { describe, expect, it } from 'vitest';
import { decodeBinaryRequest, encodeBinaryReply, encodeTensor } from '../../serve/binary-tensors.ts';
import { csvBody, parseCsv } from '../../serve/content-types.ts';

/** A BYTES tensor as tritonclient writes it: per element a uint32 little-endian length, then the bytes. */
const bytesTensor = (texts: string[]): Buffer =>
  Buffer.concat(
    texts.flatMap((t) => {
      const b = Buffer.from(t, 'utf8');
      const n = Buffer.alloc(4);
      n.writeUInt32LE(b.length);
      return [n, b];
    }),
  );

describe('binary tensor data', () => {
  it('reads each input with binary_data_size from the bytes after the JSON header, in order', () => {
    const texts = ['héllo', '', 'a "quoted" text'];
    const raw = bytesTensor(texts);
    const floats = Buffer.alloc(8);
    floats.writeFloatLE(0.5, 0);
    floats.writeFloatLE(-2, 4);
    const head = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'text', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: raw.length } },
          { name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8, other: 1 } },
          { name: 'y', shape: [1], datatype: 'INT32', data: [7] },
        ],
      }),
    );
    const body = decodeBinaryRequest(Buffer.concat([head, raw, floats]), head.length) as {
      inputs: Array<{ data: unknown[]; parameters?: object }>;
    };
    expect(body.inputs[0].data).toEqual(texts);
    expect(body.inputs[1]).toMatchObject({ data: [0.5, -2], parameters: { other: 1 } });
    expect(body.inputs[1].parameters).not.toHaveProperty('binary_data_size');
    expect(body.inputs[2].data).toEqual([7]);
  });

  it('refuses bytes no input accounts for, a short tensor, and text that is not UTF-8', () => {
    const head = (size: number) =>
      Buffer.from(JSON.stringify({ inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: size } }] }));
    const one = bytesTensor(['ab']);
    expect(() => decodeBinaryRequest(Buffer.concat([head(6), one, Buffer.from([1])]), head(6).length)).toThrow(
      /1 bytes after the JSON header/,
    );
    expect(() => decodeBinaryRequest(Buffer.concat([head(9), one]), head(9).length)).toThrow(/binary_data_size is 9 but only 6 bytes/);
    const bad = Buffer.from([2, 0, 0, 0, 0xc3, 0x28]);
    expect(() => decodeBinaryRequest(Buffer.concat([head(6), bad]), head(6).length)).toThrow(/not valid UTF-8/);
    const nul = Buffer.from([2, 0, 0, 0, 0x61, 0]);
    expect(() => decodeBinaryRequest(Buffer.concat([head(6), nul]), head(6).length)).toThrow(
      /element 0 has a NUL character, which is refused/,
    );
  });

  it('writes binary outputs after the JSON header with their sizes, other outputs as JSON', () => {
    const outputs = [
      { name: 'label', shape: [2], datatype: 'BYTES' as const, data: ['spam', 'hám'] },
      { name: 'probabilities', shape: [2, 1], datatype: 'FP32' as const, data: [0.25, 0.75] },
    ];
    const { body, jsonLength } = encodeBinaryReply({ model_name: 'm' }, outputs, new Set(['label', 'probabilities']));
    const head = JSON.parse(body.subarray(0, jsonLength).toString('utf8')) as {
      outputs: Array<{ parameters: { binary_data_size: number } }>;
    };
    const label = bytesTensor(['spam', 'hám']);
    expect(head.outputs.map((o) => o.parameters.binary_data_size)).toEqual([label.length, 8]);
    expect(body.subarray(jsonLength, jsonLength + label.length)).toEqual(label);
    expect(body.readFloatLE(jsonLength + label.length + 4)).toBe(0.75);
    expect(encodeTensor('FP32', [1]).readFloatLE(0)).toBe(1);
    const mixed = encodeBinaryReply({}, outputs, new Set(['probabilities']));
    expect(JSON.parse(mixed.body.subarray(0, mixed.jsonLength).toString()).outputs[0].data).toEqual(['spam', 'hám']);
  });
});

describe('CSV bodies', () => {
  it('parses quoted fields, doubled quotes, newlines in quotes, CRLF and blank lines', () => {
    expect(parseCsv('text,id\r\n"a, ""b""\nc",1\n\nplain,2\n')).toEqual([
      ['text', 'id'],
      ['a, "b"\nc', '1'],
      ['plain', '2'],
    ]);
    expect(csvBody('\ufefftext\nhello')).toEqual({ dataframe_split: { columns: ['text'], data: [['hello']] } });
  });

  it('names what is wrong: no text column, an open quote', () => {
    expect(() => csvBody('body\nx')).toThrow(/must name a "text" column \(got "body"\)/);
    expect(() => parseCsv('text\n"open')).toThrow(/ends inside a quoted field/);
    expect(() => csvBody('text\na\0b')).toThrow(/NUL character, which is refused/);
  });
});
