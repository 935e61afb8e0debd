/**
 * The prediction log: rows the model server writes in batches (one multi-row INSERT per 500
 * rows), and retention that deletes old rows in small batches so no statement holds long locks.
 */
import type { Queryable } from './pool.ts';

/**
 * Most bytes of a text the log keeps (UTF-8, cut on a character boundary). The row also keeps the
 * full text's length (`text_bytes`) and sha256 (`text_hash`), so a cut text is known as one.
 */
export const MAX_LOGGED_TEXT_BYTES = 64 * 1024;

export interface PredictionRecord {
  /** The prediction_id returned to the caller (a UUID). */
  id: string;
  modelId: number;
  versionId: number;
  version: number;
  createdAt: Date;
  textHash: Buffer;
  /**
   * null when the server does not log texts. A Buffer is the text's UTF-8 bytes, sent as they are
   * (binary format: no second encoding of a text the writer already encoded to hash it).
   */
  text: string | Buffer | null;
  /** UTF-8 length of the full text (the stored one may be cut to MAX_LOGGED_TEXT_BYTES); absent: the text is whole. */
  textBytes?: number;
  label: string;
  probabilities: Record<string, number>;
  latencyMs: number;
}

const COLUMNS = 11;
/** Rows per INSERT statement: 500 x 11 parameters stays far below PostgreSQL's 65,535. */
const ROWS_PER_STATEMENT = 500;

/**
 * One statement for every batch: 500 row slots, the unused ones NULL and filtered out. Named, so
 * each connection parses and plans it once; a fresh 500-row VALUES list cost PostgreSQL about 70
 * us of CPU a row, this about 40 (bench/out-style micro-benchmark, SpamAssassin texts).
 */
const INSERT_PREDICTIONS = {
  name: 'nightshift_insert_predictions_500_v2',
  text:
    'INSERT INTO predictions (id, model_id, version_id, version, created_at, text_hash, text, label, probabilities, latency_ms, text_bytes) ' +
    'SELECT * FROM (VALUES ' +
    Array.from({ length: ROWS_PER_STATEMENT }, (_, r) => {
      const o = r * COLUMNS;
      return (
        `($${o + 1}::uuid, $${o + 2}::bigint, $${o + 3}::bigint, $${o + 4}::int, $${o + 5}::timestamptz, $${o + 6}::bytea, ` +
        `$${o + 7}::text, $${o + 8}::text, $${o + 9}::jsonb, $${o + 10}::real, $${o + 11}::int)`
      );
    }).join(', ') +
    ') AS v (id, model_id, version_id, version, created_at, text_hash, text, label, probabilities, latency_ms, text_bytes) ' +
    'WHERE v.id IS NOT NULL ON CONFLICT (id) DO NOTHING',
};

/**
 * Inserts a batch; a row whose id is already stored (a retried batch) is skipped. Returns rows
 * inserted. One parameter per value (texts as plain parameters measured about 1.6x faster than
 * unnest() of text arrays, whose array literals both sides must escape and parse), through the
 * one prepared statement above.
 */
export async function insertPredictions(db: Queryable, rows: readonly PredictionRecord[]): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const batch = rows.slice(start, start + ROWS_PER_STATEMENT);
    const params: unknown[] = new Array<unknown>(ROWS_PER_STATEMENT * COLUMNS).fill(null);
    let k = 0;
    for (const r of batch) {
      params[k++] = r.id;
      params[k++] = r.modelId;
      params[k++] = r.versionId;
      params[k++] = r.version;
      params[k++] = r.createdAt;
      params[k++] = r.textHash;
      params[k++] = r.text;
      params[k++] = r.label;
      params[k++] = JSON.stringify(r.probabilities);
      params[k++] = r.latencyMs;
      params[k++] = r.textBytes ?? null;
    }
    const { rowCount } = await db.query({ ...INSERT_PREDICTIONS, values: params });
    inserted += rowCount ?? 0;
  }
  return inserted;
}

/**
 * Deletes predictions older than `before`, `batchSize` rows per statement (SKIP LOCKED, so two
 * servers pruning at once do not wait on each other), pausing between batches. Returns rows deleted.
 */
export async function deletePredictionsBefore(
  db: Queryable,
  before: Date,
  options: { batchSize?: number; pauseMs?: number; maxBatches?: number } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 5000;
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const { rowCount } = await db.query(
      `DELETE FROM predictions WHERE id IN (
         SELECT id FROM predictions WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, batchSize],
    );
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) break;
    if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
  }
  return deleted;
}

export interface StoredPrediction {
  id: string;
  modelId: number;
  versionId: number;
  version: number;
  createdAt: string;
  text: string | null;
  /** The stored text is the first MAX_LOGGED_TEXT_BYTES of a longer one. */
  textTruncated: boolean;
  label: string;
  probabilities: Record<string, number>;
  latencyMs: number;
  labelTrue: string | null;
  feedbackAt: string | null;
  exampleImported: boolean;
}

interface RawPrediction {
  id: string;
  model_id: string;
  version_id: string;
  version: number;
  created_at: Date;
  text: string | null;
  text_truncated: boolean;
  label: string;
  probabilities: Record<string, number>;
  latency_ms: number;
  label_true: string | null;
  feedback_at: Date | null;
  example_imported: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a prediction id (PostgreSQL would reject anything else as a uuid). */
export const isPredictionId = (id: string): boolean => UUID.test(id);

export async function getPredictions(db: Queryable, ids: readonly string[]): Promise<Map<string, StoredPrediction>> {
  const valid = ids.filter(isPredictionId);
  if (valid.length === 0) return new Map();
  const { rows } = await db.query<RawPrediction>(
    `SELECT id, model_id, version_id, version, created_at, text, label, probabilities, latency_ms, label_true, feedback_at, example_imported,
       coalesce(octet_length(text) < text_bytes, false) AS text_truncated
     FROM predictions WHERE id = ANY($1::uuid[])`,
    [valid],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        modelId: Number(r.model_id),
        versionId: Number(r.version_id),
        version: r.version,
        createdAt: r.created_at.toISOString(),
        text: r.text,
        textTruncated: r.text_truncated,
        label: r.label,
        probabilities: r.probabilities,
        latencyMs: r.latency_ms,
        labelTrue: r.label_true,
        feedbackAt: r.feedback_at === null ? null : r.feedback_at.toISOString(),
        exampleImported: r.example_imported,
      },
    ]),
  );
}

export async function countPredictions(db: Queryable, modelId?: number): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM predictions WHERE ($1::bigint IS NULL OR model_id = $1)', [
    modelId ?? null,
  ]);
  return Number(rows[0].n);
}
