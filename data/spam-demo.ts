/**
 * The demo model's data feed: SpamAssassin mail released in batches by Date header. The first
 * batch is the older half of the corpus; each later batch is the next 500 messages. How many were
 * released is read from the registry, so `nightshift data next-batch` always continues where the
 * feed stopped.
 */
import { countExamples } from '../registry/examples.ts';
import { ensureModel } from '../registry/models.ts';
import type { Db } from '../registry/pool.ts';
import { importExamples, type ImportReport } from '../registry/import-examples.ts';
import { spamAssassinByDate, type SpamAssassinMessage } from './spam-assassin.ts';

export const DEMO_MODEL = 'spam';
export const DEMO_SOURCE = 'spamassassin';
export const FIRST_BATCH = 3000;
export const LATER_BATCH = 500;

export interface BatchReport extends ImportReport {
  batch: number;
  released: number;
  remaining: number;
  from: string | null;
  to: string | null;
}

export async function releaseNextBatch(db: Db, modelName = DEMO_MODEL): Promise<BatchReport> {
  const all = spamAssassinByDate();
  const model = await ensureModel(db, modelName);
  // Duplicated texts in the corpus are stored once, so count released messages by position.
  const { rows } = await db.query<{ n: string }>(
    `SELECT coalesce(max((metadata->>'corpusPosition')::int) + 1, 0) AS n FROM examples WHERE model_id = $1 AND source = $2`,
    [model.id, DEMO_SOURCE],
  );
  const released = Number(rows[0].n);
  const size = released === 0 ? FIRST_BATCH : LATER_BATCH;
  const slice = all.slice(released, released + size);
  const batch = released === 0 ? 1 : 2 + Math.floor((released - FIRST_BATCH) / LATER_BATCH);
  const report = await importExamples(
    db,
    modelName,
    DEMO_SOURCE,
    slice.map((m, i) => ({
      text: m.text,
      label: m.label,
      externalId: m.id,
      ...(m.date ? { ts: m.date } : {}),
      metadata: { corpusPosition: released + i, batch },
    })),
  );
  return {
    ...report,
    batch,
    released: released + slice.length,
    remaining: all.length - released - slice.length,
    from: slice[0]?.date ?? null,
    to: slice[slice.length - 1]?.date ?? null,
  };
}

export async function demoHasData(db: Db, modelName = DEMO_MODEL): Promise<boolean> {
  const model = await ensureModel(db, modelName);
  return (await countExamples(db, model.id)) > 0;
}

/**
 * The demo feed's messages not yet released to training, oldest first (read-only): what
 * `nightshift demo traffic` sends to the model server as if they were new mail.
 */
export async function unreleasedMessages(db: Db, modelName = DEMO_MODEL): Promise<{ released: number; messages: SpamAssassinMessage[] }> {
  const all = spamAssassinByDate();
  const { rows } = await db.query<{ n: string }>(
    `SELECT coalesce(max((e.metadata->>'corpusPosition')::int) + 1, 0) AS n
     FROM examples e JOIN models m ON m.id = e.model_id WHERE m.name = $1 AND e.source = $2`,
    [modelName, DEMO_SOURCE],
  );
  const released = Number(rows[0].n);
  return { released, messages: all.slice(released) };
}
