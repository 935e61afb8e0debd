/**
 * The feature store's row format: a text's hashed buckets (sorted) and their counts, as LEB128
 * varints: the number of buckets, then per bucket the gap from the previous bucket and the count.
 * A 4 KB e-mail of about 300 distinct buckets takes about 1 KB.
 */
import { MlError } from './errors.ts';

/** A decoded row; the arrays are reused between rows (grown when needed), valid up to `n`. */
export interface CountRow {
  n: number;
  indices: Int32Array;
  counts: Float64Array;
}

function varintLength(v: number): number {
  let len = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    len++;
  }
  return len;
}

function writeVarint(out: Buffer, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[at++] = v;
  return at;
}

/** Encodes `n` sorted bucket indices and their (positive integer) counts. */
export function encodeCounts(indices: ArrayLike<number>, counts: ArrayLike<number>, n: number): Buffer {
  let size = varintLength(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    size += varintLength(indices[i] - prev) + varintLength(counts[i]);
    prev = indices[i];
  }
  const out = Buffer.allocUnsafe(size);
  let at = writeVarint(out, 0, n);
  prev = 0;
  for (let i = 0; i < n; i++) {
    at = writeVarint(out, at, indices[i] - prev);
    at = writeVarint(out, at, counts[i]);
    prev = indices[i];
  }
  return out;
}

export function newCountRow(): CountRow {
  return { n: 0, indices: new Int32Array(1024), counts: new Float64Array(1024) };
}

/** Decodes a row written by encodeCounts into `row` (its arrays grow when needed). */
export function decodeCounts(bytes: Uint8Array, row: CountRow): CountRow {
  let at = 0;
  const read = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.length) throw new MlError('InvalidTrainingData', 'stored feature counts are truncated');
      const b = bytes[at++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  };
  const n = read();
  if (row.indices.length < n) {
    row.indices = new Int32Array(Math.max(n, row.indices.length * 2));
    row.counts = new Float64Array(row.indices.length);
  }
  let index = 0;
  for (let i = 0; i < n; i++) {
    index += read();
    row.indices[i] = index;
    row.counts[i] = read();
  }
  if (at !== bytes.length) throw new MlError('InvalidTrainingData', 'stored feature counts have trailing bytes');
  row.n = n;
  return row;
}
