/**
 * The registry side of streamed training: a model's training split cut into keyset pages of
 * consecutive ids, one page's rows with their stored token counts (or their text when no counts
 * are stored under the run's counting key), and the counts a run computed, written back so the
 * next run reads them instead of tokenizing again.
 */
import type { Queryable } from './pool.ts';

/** Training rows with afterId < id <= toId. */
export interface ExamplePage {
  afterId: number;
  toId: number;
}

/**
 * The training split of a model with afterId < id <= toId, cut into pages of `pageRows` rows (the
 * last may be shorter). Only the boundary ids are read: n / pageRows numbers.
 */
export async function trainingPages(db: Queryable, modelId: number, toId: number, pageRows: number, afterId = 0): Promise<ExamplePage[]> {
  const { rows } = await db.query<{ id: string; last: boolean }>(
    `SELECT id, rn = total AS last FROM (
       SELECT id, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS total
       FROM examples WHERE model_id = $1 AND split = 'train' AND id > $4 AND id <= $2
     ) t
     WHERE rn % $3 = 0 OR rn = total ORDER BY id`,
    [modelId, toId, pageRows, afterId],
  );
  const pages: ExamplePage[] = [];
  let from = afterId;
  for (const r of rows) {
    pages.push({ afterId: from, toId: Number(r.id) });
    from = Number(r.id);
  }
  return pages;
}

export interface PageRow {
  id: number;
  label: string;
  /** Stored counts under the asked counting key, or null. */
  counts: Buffer | null;
  /** The text, only when no counts are stored under the key. */
  text: string | null;
}

export async function readTrainingPage(db: Queryable, modelId: number, page: ExamplePage, countingKey: string): Promise<PageRow[]> {
  const { rows } = await db.query<{ id: string; label: string; counts: Buffer | null; text: string | null }>(
    `SELECT e.id, e.label,
            CASE WHEN f.counting_key = $4 THEN f.counts END AS counts,
            CASE WHEN f.counting_key = $4 THEN NULL ELSE e.text END AS text
     FROM examples e LEFT JOIN example_features f ON f.example_id = e.id
     WHERE e.model_id = $1 AND e.split = 'train' AND e.id > $2 AND e.id <= $3
     ORDER BY e.id`,
    [modelId, page.afterId, page.toId, countingKey],
  );
  return rows.map((r) => ({ id: Number(r.id), label: r.label, counts: r.counts, text: r.text }));
}

/** Stores counts under `countingKey`, replacing counts stored under another key. */
export async function storeCounts(db: Queryable, countingKey: string, ids: number[], counts: Buffer[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `INSERT INTO example_features (example_id, counting_key, counts)
     SELECT t.id, $1, t.counts FROM unnest($2::bigint[], $3::bytea[]) AS t(id, counts)
     ON CONFLICT (example_id) DO UPDATE SET counting_key = EXCLUDED.counting_key, counts = EXCLUDED.counts
       WHERE example_features.counting_key <> EXCLUDED.counting_key`,
    [countingKey, ids, counts],
  );
}

/**
 * The id after which a model's `rows` most recent training rows up to `toId` begin (0 when it has
 * no more than that): a bound on how much history a full retrain reads.
 */
export async function recentTrainingStart(db: Queryable, modelId: number, toId: number, rows: number): Promise<number> {
  const { rows: found } = await db.query<{ id: string }>(
    `SELECT id FROM examples WHERE model_id = $1 AND split = 'train' AND id <= $2 ORDER BY id DESC OFFSET $3 LIMIT 1`,
    [modelId, toId, rows],
  );
  return found.length === 0 ? 0 : Number(found[0].id);
}

/** How many of a model's training rows up to `toId` have counts stored under `countingKey`. */
export async function storedCountRows(db: Queryable, modelId: number, toId: number, countingKey: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM examples e JOIN example_features f ON f.example_id = e.id
     WHERE e.model_id = $1 AND e.split = 'train' AND e.id <= $2 AND f.counting_key = $3`,
    [modelId, toId, countingKey],
  );
  return Number(rows[0].n);
}

/**
 * Mean length in characters (code points) of the training texts up to `toId`, for charNgrams
 * 'auto'. JavaScript's String length counts a character outside the Basic Multilingual Plane
 * twice; for texts of such characters the in-memory `train` command can settle 'auto' a hair
 * differently near the threshold.
 */
export async function meanTrainingTextLength(db: Queryable, modelId: number, toId: number, afterId = 0): Promise<number | null> {
  const { rows } = await db.query<{ mean: string | null }>(
    `SELECT avg(char_length(text)) AS mean FROM examples WHERE model_id = $1 AND split = 'train' AND id > $3 AND id <= $2`,
    [modelId, toId, afterId],
  );
  return rows[0].mean === null ? null : Number(rows[0].mean);
}
