/**
 * Parses labelled JSONL (DESIGN.md: {"text": string, "label": string}, optional "id" and "ts",
 * anything else kept as metadata). A bad line never aborts the good ones: it is reported with its
 * line number and reason.
 */
import type { NewExample } from '../registry/examples.ts';

export interface RejectedLine {
  line: number;
  reason: string;
}

export interface ParsedJsonl {
  rows: NewExample[];
  rejected: RejectedLine[];
}

/** Longest text accepted (PostgreSQL could hold more; a model gains nothing from it). */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

export function parseJsonlLine(line: string): NewExample | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { reason: `bad JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { reason: 'not a JSON object' };
  const { text, label, id, ts, ...metadata } = value as Record<string, unknown>;
  if (text === undefined) return { reason: 'missing text' };
  if (typeof text !== 'string') return { reason: 'text is not a string' };
  if (text.trim() === '') return { reason: 'empty text' };
  if (text.includes('\u0000')) return { reason: 'text contains a NUL character' };
  if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) return { reason: `text is longer than ${MAX_TEXT_BYTES} bytes` };
  if (label === undefined || label === null) return { reason: 'missing label' };
  if (typeof label !== 'string') return { reason: 'label is not a string' };
  if (label.trim() === '') return { reason: 'empty label' };
  if (label.includes('\u0000') || label.length > 200) return { reason: 'label contains a NUL character or is longer than 200 characters' };
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') return { reason: 'id is not a string or number' };
  let isoTs: string | undefined;
  if (ts !== undefined) {
    const t = typeof ts === 'string' ? Date.parse(ts) : NaN;
    if (Number.isNaN(t)) return { reason: 'ts is not an ISO time' };
    isoTs = new Date(t).toISOString();
  }
  if (JSON.stringify(metadata).includes('\\u0000')) return { reason: 'metadata contains a NUL character' };
  return {
    text,
    label,
    ...(id !== undefined ? { externalId: String(id) } : {}),
    ...(isoTs ? { ts: isoTs } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

/** Parses a whole file's bytes; invalid UTF-8 rejects only its own line. */
export function parseJsonl(bytes: Uint8Array): ParsedJsonl {
  const rows: NewExample[] = [];
  const rejected: RejectedLine[] = [];
  let start = 0;
  let lineNo = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    lineNo++;
    let slice = bytes.subarray(start, end);
    if (slice.length > 0 && slice[slice.length - 1] === 0x0d) slice = slice.subarray(0, slice.length - 1);
    start = end + 1;
    if (slice.length === 0 || /^\s*$/.test(Buffer.from(slice).toString('latin1'))) continue;
    let line: string;
    try {
      line = decoder.decode(slice);
    } catch {
      rejected.push({ line: lineNo, reason: 'invalid UTF-8' });
      continue;
    }
    const parsed = parseJsonlLine(line);
    if ('reason' in parsed) rejected.push({ line: lineNo, reason: parsed.reason });
    else rows.push(parsed);
  }
  return { rows, rejected };
}
