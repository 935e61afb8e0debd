/**
 * Parses labelled JSONL (README "Data": {"text": string, "label": string}, optional "id" and "ts",
 * anything else kept as metadata). A bad line never aborts the good ones: it is reported with its
 * line number and reason.
 */
import type { NewExample } from '../registry/examples.ts';
import type { JsonlLine, RejectedLine } from '../registry/import-examples.ts';

export type { JsonlLine, RejectedLine };

export interface ParsedJsonl {
  rows: NewExample[];
  rejected: RejectedLine[];
}

/** Longest text accepted (PostgreSQL could hold more; a model gains nothing from it). */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;
/** Longest line read: the longest text plus room for its label, id and metadata. Longer lines are skipped unread. */
export const MAX_LINE_BYTES = MAX_TEXT_BYTES + 1024 * 1024;
/** Longest label, in Unicode code points (what a person counts as characters). */
export const MAX_LABEL_CHARS = 200;
/** Longest external id, in code points. */
export const MAX_ID_CHARS = 1000;

const decoder = new TextDecoder('utf-8', { fatal: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// PostgreSQL's timestamptz holds 4713 BC to 294276 AD, but ISO strings past year 9999 need an
// extended format it does not read: accept what both sides write the same way.
const MIN_TS = Date.UTC(1, 0, 1);
const MAX_TS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * Why PostgreSQL would refuse a string (a NUL in text or jsonb; a lone UTF-16 surrogate, which
 * cannot be encoded as UTF-8 and which jsonb rejects), or null when it is storable as is.
 */
function unstorable(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return null;
}

/** The first string (key or value) in a JSON value that PostgreSQL would refuse, with where it is. */
function unstorableIn(value: unknown, where: string): string | null {
  if (typeof value === 'string') {
    const why = unstorable(value);
    return why ? `${where} ${why}` : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const why = unstorableIn(value[i], `${where}[${i}]`);
      if (why) return why;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const why = unstorable(k) ? `metadata key ${JSON.stringify(k)} ${unstorable(k)}` : unstorableIn(v, `${where}.${k}`);
      if (why) return why;
    }
  }
  return null;
}

function checkTs(ts: unknown): { iso: string } | { reason: string } {
  const t = typeof ts === 'string' ? Date.parse(ts) : NaN;
  if (Number.isNaN(t)) return { reason: 'ts is not an ISO time' };
  if (t < MIN_TS || t > MAX_TS) return { reason: `ts ${JSON.stringify(ts)} is outside years 0001-9999` };
  return { iso: new Date(t).toISOString() };
}

/**
 * One line to an example, or the reason it is refused. Every field that reaches the database is
 * checked here as the database would check it, so a bad line is refused alone, with its reason.
 */
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
  const textIssue = unstorable(text);
  if (textIssue) return { reason: `text ${textIssue}` };
  if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) return { reason: `text is longer than ${MAX_TEXT_BYTES} bytes` };
  if (label === undefined || label === null) return { reason: 'missing label' };
  if (typeof label !== 'string') return { reason: 'label is not a string' };
  if (label.trim() === '') return { reason: 'empty label' };
  const labelIssue = unstorable(label);
  if (labelIssue) return { reason: `label ${labelIssue}` };
  if (codePoints(label) > MAX_LABEL_CHARS) return { reason: `label is longer than ${MAX_LABEL_CHARS} characters` };
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') return { reason: 'id is not a string or number' };
  const externalId = id === undefined ? undefined : String(id);
  if (externalId !== undefined) {
    const idIssue = unstorable(externalId);
    if (idIssue) return { reason: `id ${idIssue}` };
    if (codePoints(externalId) > MAX_ID_CHARS) return { reason: `id is longer than ${MAX_ID_CHARS} characters` };
  }
  let isoTs: string | undefined;
  if (ts !== undefined) {
    const checked = checkTs(ts);
    if ('reason' in checked) return checked;
    isoTs = checked.iso;
  }
  const metadataIssue = unstorableIn(metadata, 'metadata');
  if (metadataIssue) return { reason: metadataIssue };
  return {
    text,
    label,
    ...(externalId !== undefined ? { externalId } : {}),
    ...(isoTs ? { ts: isoTs } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

/** One line's bytes decoded and parsed; blank lines give null. */
export function parseJsonlBytes(slice: Uint8Array): NewExample | { reason: string } | null {
  if (slice.length > 0 && slice[slice.length - 1] === 0x0d) slice = slice.subarray(0, slice.length - 1);
  if (slice.length === 0 || /^\s*$/.test(Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('latin1'))) return null;
  let line: string;
  try {
    line = decoder.decode(slice);
  } catch {
    return { reason: 'invalid UTF-8' };
  }
  return parseJsonlLine(line);
}

/**
 * Streams a JSONL byte stream line by line with bounded memory: at most one line (up to
 * MAX_LINE_BYTES) is held; a longer line is refused and skipped without being kept.
 */
export async function* readJsonl(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<JsonlLine> {
  let parts: Buffer[] = [];
  let held = 0;
  let tooLong = false;
  let lineNo = 0;
  const finish = function* (): Generator<JsonlLine> {
    lineNo++;
    if (tooLong) yield { line: lineNo, reason: `line is longer than ${MAX_LINE_BYTES} bytes` };
    else {
      const parsed = parseJsonlBytes(parts.length === 1 ? parts[0] : Buffer.concat(parts));
      if (parsed && 'reason' in parsed) yield { line: lineNo, reason: parsed.reason };
      else if (parsed) yield { line: lineNo, example: parsed };
    }
    parts = [];
    held = 0;
    tooLong = false;
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!tooLong) {
        if (held + (end - start) > MAX_LINE_BYTES) {
          tooLong = true;
          parts = [];
          held = 0;
        } else if (end > start) {
          parts.push(Buffer.from(chunk.subarray(start, end)));
          held += end - start;
        }
      }
      if (nl === -1) break;
      yield* finish();
      start = nl + 1;
    }
  }
  if (held > 0 || tooLong) yield* finish();
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
    const parsed = parseJsonlBytes(bytes.subarray(start, end));
    start = end + 1;
    if (parsed && 'reason' in parsed) rejected.push({ line: lineNo, reason: parsed.reason });
    else if (parsed) rows.push(parsed);
  }
  return { rows, rejected };
}
