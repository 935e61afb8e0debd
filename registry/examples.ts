/**
 * Labelled examples. Deduplicated per model by the sha256 of the text; each row is assigned to
 * the train or test split from that hash (1 in 5 to test), so the split never changes and the
 * same text lands in the same split on every machine.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Queryable } from './pool.ts';

export interface NewExample {
  text: string;
  label: string;
  externalId?: string;
  ts?: string;
  metadata?: Record<string, unknown>;
}

export interface StoredExample {
  id: number;
  text: string;
  label: string;
  split: 'train' | 'test';
}

export function contentHash(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function splitFor(hash: Buffer): 'train' | 'test' {
  return hash.readUInt32BE(0) % 5 === 0 ? 'test' : 'train';
}

export interface InsertResult {
  inserted: number;
  duplicates: number;
}

const BATCH = 500;

async function insertBatch(db: Queryable, modelId: number, source: string, batch: NewExample[]): Promise<number> {
  const hashes = batch.map((e) => contentHash(e.text));
  const { rowCount } = await db.query(
    `INSERT INTO examples (model_id, text, label, source, external_id, example_ts, metadata, content_hash, split)
     SELECT $1, t.text, t.label, $2, t.external_id, t.example_ts, t.metadata, t.content_hash, t.split
     FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[], $8::bytea[], $9::text[])
       WITH ORDINALITY AS t(text, label, external_id, example_ts, metadata, content_hash, split, ord)
     ORDER BY t.ord
     ON CONFLICT (model_id, content_hash) DO NOTHING`,
    [
      modelId,
      source,
      batch.map((e) => e.text),
      batch.map((e) => e.label),
      batch.map((e) => e.externalId ?? null),
      batch.map((e) => e.ts ?? null),
      batch.map((e) => JSON.stringify(e.metadata ?? {})),
      hashes,
      hashes.map(splitFor),
    ],
  );
  return rowCount ?? 0;
}

/** Inserts examples; rows whose text the model already has are counted as duplicates. */
export async function insertExamples(db: Queryable, modelId: number, source: string, examples: NewExample[]): Promise<InsertResult> {
  let inserted = 0;
  for (let start = 0; start < examples.length; start += BATCH) {
    inserted += await insertBatch(db, modelId, source, examples.slice(start, start + BATCH));
  }
  return { inserted, duplicates: examples.length - inserted };
}

export interface LineRefusal {
  index: number;
  reason: string;
}

/**
 * A value the database refuses (SQLSTATE class 22, data exception, or 23, integrity): a fault of
 * one row. Anything else (a full disk, a lost connection) is a fault of the import.
 */
export function isRowFault(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Inserts a batch inside the caller's transaction. If the database refuses a value the checks in
 * jsonl.ts did not foresee, the batch is retried row by row (each under a savepoint), so only the
 * refused rows are left out, each with the database's reason. Other errors propagate.
 */
export async function insertExamplesChecked(
  client: Queryable,
  modelId: number,
  source: string,
  batch: NewExample[],
): Promise<InsertResult & { refused: LineRefusal[] }> {
  await client.query('SAVEPOINT examples_batch');
  try {
    const inserted = await insertBatch(client, modelId, source, batch);
    await client.query('RELEASE SAVEPOINT examples_batch');
    return { inserted, duplicates: batch.length - inserted, refused: [] };
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT examples_batch');
    if (!isRowFault(err)) throw err;
  }
  return insertRowByRow(client, modelId, source, batch);
}

/** Each row under its own savepoint: the refused ones are left out with the database's reason. */
async function insertRowByRow(
  client: Queryable,
  modelId: number,
  source: string,
  batch: NewExample[],
): Promise<InsertResult & { refused: LineRefusal[] }> {
  let inserted = 0;
  const refused: LineRefusal[] = [];
  for (let index = 0; index < batch.length; index++) {
    await client.query('SAVEPOINT examples_row');
    try {
      inserted += await insertBatch(client, modelId, source, [batch[index]]);
      await client.query('RELEASE SAVEPOINT examples_row');
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT examples_row');
      if (!isRowFault(err)) throw err;
      refused.push({ index, reason: `refused by the database: ${(err as Error).message}` });
    }
  }
  return { inserted, duplicates: batch.length - inserted - refused.length, refused };
}

/** COPY's text format: backslash, newline, carriage return and tab are escaped; \\N is NULL. */
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const copyField = (s: string | null): string => (s === null ? '\\N' : s.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]));

/**
 * A temporary table, private to the import's transaction and dropped at its end, that batches are
 * copied into before one INSERT ... SELECT moves them to `examples`: COPY cannot skip the rows
 * that conflict, INSERT can, so deduplication happens in the database, on the unique index.
 */
async function createExamplesStaging(client: pg.PoolClient): Promise<void> {
  await client.query(
    `CREATE TEMPORARY TABLE IF NOT EXISTS examples_staging (
       ord integer NOT NULL, text text NOT NULL, label text NOT NULL, external_id text, example_ts timestamptz,
       metadata jsonb NOT NULL, content_hash bytea NOT NULL, split text NOT NULL
     ) ON COMMIT DROP`,
  );
}

async function copyBatch(client: pg.PoolClient, modelId: number, source: string, batch: NewExample[]): Promise<number> {
  function* lines(): Generator<string> {
    let chunk = '';
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i];
      const hash = contentHash(e.text);
      chunk +=
        `${i}\t${copyField(e.text)}\t${copyField(e.label)}\t${copyField(e.externalId ?? null)}\t${copyField(e.ts ?? null)}\t` +
        `${copyField(JSON.stringify(e.metadata ?? {}))}\t\\\\x${hash.toString('hex')}\t${splitFor(hash)}\n`;
      if (chunk.length >= 1 << 16) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  await createExamplesStaging(client);
  await client.query('TRUNCATE examples_staging');
  await pipeline(
    Readable.from(lines()),
    client.query(copyFrom('COPY examples_staging (ord, text, label, external_id, example_ts, metadata, content_hash, split) FROM STDIN')),
  );
  const { rowCount } = await client.query(
    `INSERT INTO examples (model_id, text, label, source, external_id, example_ts, metadata, content_hash, split)
     SELECT $1, s.text, s.label, $2, s.external_id, s.example_ts, s.metadata, s.content_hash, s.split
     FROM examples_staging s ORDER BY s.ord
     ON CONFLICT (model_id, content_hash) DO NOTHING`,
    [modelId, source],
  );
  return rowCount ?? 0;
}

/** Below this many rows a batch goes through one multi-row INSERT: COPY's set-up would cost more. */
const COPY_MIN_ROWS = 64;

/**
 * As insertExamplesChecked, for a large batch: COPY into the staging table (created by the first
 * large batch of the transaction, so a one-row feedback import creates none), then one INSERT ... SELECT ... ON CONFLICT DO NOTHING. A value the
 * database refuses rolls the batch back to its savepoint and the rows are retried one by one, as
 * in insertExamplesChecked, so only the refused rows are left out, each with its reason.
 */
export async function copyExamplesChecked(
  client: pg.PoolClient,
  modelId: number,
  source: string,
  batch: NewExample[],
): Promise<InsertResult & { refused: LineRefusal[] }> {
  if (batch.length < COPY_MIN_ROWS) return insertExamplesChecked(client, modelId, source, batch);
  await client.query('SAVEPOINT examples_copy');
  try {
    const inserted = await copyBatch(client, modelId, source, batch);
    await client.query('RELEASE SAVEPOINT examples_copy');
    return { inserted, duplicates: batch.length - inserted, refused: [] };
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT examples_copy');
    if (!isRowFault(err)) throw err;
  }
  return insertRowByRow(client, modelId, source, batch);
}

export async function countExamples(db: Queryable, modelId: number, source?: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM examples WHERE model_id = $1 AND ($2::text IS NULL OR source = $2)',
    [modelId, source ?? null],
  );
  return Number(rows[0].n);
}

export interface ExampleWindow {
  modelId: number;
  afterId: number;
  toId: number;
  split?: 'train' | 'test';
}

/** A window's rows, with the parameters $1..$4 of windowParams. */
const IN_WINDOW = 'model_id = $1 AND id > $2 AND id <= $3 AND ($4::text IS NULL OR split = $4)';
const windowParams = (w: ExampleWindow, afterId = w.afterId): unknown[] => [w.modelId, afterId, w.toId, w.split ?? null];

interface ExampleRow {
  id: string;
  text: string;
  label: string;
  split: 'train' | 'test';
}
const toStored = (rows: ExampleRow[]): StoredExample[] =>
  rows.map((r) => ({ id: Number(r.id), text: r.text, label: r.label, split: r.split }));

/** Examples with afterId < id <= toId, in id order. */
export async function selectExamples(db: Queryable, w: ExampleWindow): Promise<StoredExample[]> {
  const { rows } = await db.query<ExampleRow>(
    `SELECT id, text, label, split FROM examples WHERE ${IN_WINDOW} ORDER BY id`,
    windowParams(w),
  );
  return toStored(rows);
}

/** How many examples a window has. */
export async function countWindow(db: Queryable, w: ExampleWindow): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM examples WHERE ${IN_WINDOW}`, windowParams(w));
  return Number(rows[0].n);
}

/**
 * The examples at the given 0-based positions of a window in id order, in id order: a sample of a
 * long history read without its other rows ever leaving the database.
 */
export async function selectExamplesAtPositions(db: Queryable, w: ExampleWindow, positions: ArrayLike<number>): Promise<StoredExample[]> {
  if (positions.length === 0) return [];
  const { rows } = await db.query<ExampleRow>(
    `SELECT e.id, e.text, e.label, e.split
     FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS pos FROM examples WHERE ${IN_WINDOW}) w
     JOIN examples e ON e.id = w.id
     WHERE w.pos = ANY($5::bigint[])
     ORDER BY e.id`,
    [...windowParams(w), Array.from(positions)],
  );
  return toStored(rows);
}

/**
 * The examples of a window in keyset pages of `pageRows`, in id order: a pass over a long history
 * holds one page of texts at a time.
 */
export async function* examplePages(db: Queryable, w: ExampleWindow, pageRows = 2048): AsyncGenerator<StoredExample[]> {
  let afterId = w.afterId;
  for (;;) {
    const { rows } = await db.query<ExampleRow>(`SELECT id, text, label, split FROM examples WHERE ${IN_WINDOW} ORDER BY id LIMIT $5`, [
      ...windowParams(w, afterId),
      pageRows,
    ]);
    if (rows.length === 0) return;
    yield toStored(rows);
    if (rows.length < pageRows) return;
    afterId = Number(rows[rows.length - 1].id);
  }
}

/** The highest example id that had arrived by `windowEnd`. */
export async function maxExampleId(db: Queryable, modelId: number, windowEnd: string): Promise<number> {
  const { rows } = await db.query<{ max: string | null }>('SELECT max(id) AS max FROM examples WHERE model_id = $1 AND arrived_at <= $2', [
    modelId,
    windowEnd,
  ]);
  return rows[0].max === null ? 0 : Number(rows[0].max);
}

/** Label counts of the training split with afterId < id <= toId: what a candidate trained now would see. */
export async function trainingLabelCounts(db: Queryable, modelId: number, toId: number, afterId = 0): Promise<Record<string, number>> {
  const { rows } = await db.query<{ label: string; n: string }>(
    `SELECT label, count(*) AS n FROM examples WHERE model_id = $1 AND id > $3 AND id <= $2 AND split = 'train' GROUP BY label ORDER BY label`,
    [modelId, toId, afterId],
  );
  return Object.fromEntries(rows.map((r) => [r.label, Number(r.n)]));
}
