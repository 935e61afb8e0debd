/**
 * Feedback: the true label of earlier predictions. A labelled prediction becomes a labelled
 * example of its model (source `feedback`, `ts` the time of the feedback) through the ordinary
 * examples import, so the next retraining run trains and evaluates on what production saw.
 *
 * The rule for a changed label: the first label given is final. Repeating it is a no-op
 * (`unchanged`); a different label for an already-labelled prediction is refused (`conflict`) and
 * changes nothing, because the first label may already be training data (examples are
 * deduplicated by text and never relabelled) and one client must not silently overwrite another.
 *
 * A request is one transaction: the labels and the examples they make are committed together or
 * not at all (a process killed mid-request leaves neither). A prediction whose logged text was cut
 * (longer than the log keeps) gets its label but no example (`text_truncated`): a cut text is not
 * what the model saw, and must not silently become a training example.
 */
import { copyExamplesChecked, contentHash } from './examples.ts';
import { getModel } from './models.ts';
import type pg from 'pg';
import { withTransaction, type Db, type Queryable } from './pool.ts';
import { getPredictions, isPredictionId, type StoredPrediction } from './predictions.ts';

export const FEEDBACK_SOURCE = 'feedback';

export interface FeedbackItem {
  prediction_id: string;
  label: string;
}

export type FeedbackStatus = 'recorded' | 'unchanged' | 'conflict' | 'unknown_prediction' | 'unknown_label';

/** What happened to the labelled prediction's text as a training example. */
export type ExampleStatus = 'added' | 'already_known' | 'text_not_logged' | 'text_truncated';

export interface FeedbackItemResult {
  prediction_id: string;
  status: FeedbackStatus;
  message?: string;
  /** The label now recorded for the prediction (for conflict: the first one, which stands). */
  label?: string;
  example?: ExampleStatus;
}

export interface FeedbackReport {
  model: string;
  results: FeedbackItemResult[];
  counts: Record<FeedbackStatus, number>;
}

async function versionLabels(db: Queryable, versionIds: number[]): Promise<Map<number, string[]>> {
  if (versionIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; labels: string[] }>('SELECT id, labels FROM model_versions WHERE id = ANY($1::bigint[])', [
    versionIds,
  ]);
  return new Map(rows.map((r) => [Number(r.id), r.labels]));
}

/**
 * Records feedback items for `modelName` (an unknown model throws RegistryError UnknownModel).
 * Set-based whatever the number of items: one read of the named predictions and their versions'
 * labels, one UPDATE of every newly labelled prediction (unnest of id and label arrays, guarded by
 * `label_true IS NULL`, so the database decides who labelled first), one examples import of every
 * labelled text (deduplicated by the database on the model's content hashes), one read of what the
 * import stored and one UPDATE marking the imported predictions; all in one transaction.
 */
export async function recordFeedback(db: Db, modelName: string, items: readonly FeedbackItem[], now = new Date()): Promise<FeedbackReport> {
  const model = await getModel(db, modelName);
  return withTransaction(db, (client) => recordIn(client, model.id, modelName, items, now));
}

async function recordIn(
  db: pg.PoolClient,
  modelId: number,
  modelName: string,
  items: readonly FeedbackItem[],
  now: Date,
): Promise<FeedbackReport> {
  const model = { id: modelId };
  const stored = await getPredictions(
    db,
    items.map((i) => i.prediction_id),
  );
  const labels = await versionLabels(db, [...new Set([...stored.values()].map((p) => p.versionId))]);

  // The first item to label each unlabelled prediction claims it; one UPDATE applies every claim.
  let { results, claims } = judgeItems(items, stored, labels, model.id, modelName, now, () => true);
  const claimed = [...claims.keys()];
  const won = new Set<string>();
  if (claimed.length > 0) {
    const { rows } = await db.query<{ id: string }>(
      `UPDATE predictions p SET label_true = u.label, feedback_at = $3
       FROM unnest($1::uuid[], $2::text[]) AS u(id, label)
       WHERE p.id = u.id AND p.label_true IS NULL
       RETURNING p.id`,
      [claimed, claimed.map((id) => claims.get(id)!), now],
    );
    for (const r of rows) won.add(r.id);
  }
  if (won.size < claimed.length) {
    // Another request labelled some of them between our read and our update: judge those items
    // (and any later item naming them) against the label that was stored first.
    const lost = claimed.filter((id) => !won.has(id));
    const fresh = await getPredictions(db, lost);
    // One that is gone (retention) is unknown now.
    for (const id of lost) {
      const p = fresh.get(id);
      if (p) stored.set(id, p);
      else stored.delete(id);
    }
    ({ results, claims } = judgeItems(items, stored, labels, model.id, modelName, now, (id) => won.has(id)));
  }

  // Recorded items, and repeats of a label whose example import failed before (so they converge).
  const toImport = results.filter((r): r is JudgedItem & { prediction: StoredPrediction } => r.prediction !== undefined);
  const withText = toImport.filter((r) => r.prediction.text !== null && !r.prediction.textTruncated);
  for (const r of toImport) {
    if (r.prediction.text === null) r.result.example = 'text_not_logged';
    else if (r.prediction.textTruncated) r.result.example = 'text_truncated';
  }
  if (withText.length > 0) {
    await copyExamplesChecked(
      db,
      model.id,
      FEEDBACK_SOURCE,
      withText.map(({ prediction: p }) => ({
        text: p.text!,
        label: p.labelTrue!,
        externalId: p.id,
        ts: p.feedbackAt!,
        metadata: { prediction_id: p.id, predicted_label: p.label, version: p.version, predicted_at: p.createdAt },
      })),
    );
    // Which texts became this prediction's example, and which the model already had (by content hash).
    const hashes = withText.map((r) => contentHash(r.prediction.text!));
    const { rows } = await db.query<{ content_hash: Buffer; source: string; external_id: string | null }>(
      'SELECT content_hash, source, external_id FROM examples WHERE model_id = $1 AND content_hash = ANY($2::bytea[])',
      [model.id, hashes],
    );
    const owner = new Map(rows.map((r) => [r.content_hash.toString('hex'), r.source === FEEDBACK_SOURCE ? r.external_id : null]));
    withText.forEach((r, i) => {
      r.result.example = owner.get(hashes[i].toString('hex')) === r.prediction.id ? 'added' : 'already_known';
    });
    await db.query('UPDATE predictions SET example_imported = true WHERE id = ANY($1::uuid[])', [withText.map((r) => r.prediction.id)]);
  }
  const counts: Record<FeedbackStatus, number> = { recorded: 0, unchanged: 0, conflict: 0, unknown_prediction: 0, unknown_label: 0 };
  for (const r of results) counts[r.result.status]++;
  return { model: modelName, results: results.map((r) => r.result), counts };
}

interface JudgedItem {
  result: FeedbackItemResult;
  /** Set when the item's labelled prediction is to be imported as an example. */
  prediction?: StoredPrediction;
}

/**
 * Judges the items in order against the stored predictions, as if applied one by one: a request
 * naming the same prediction twice sees its own first item. An unlabelled prediction is claimed
 * by the first item that labels it when `mayClaim(id)` (after the UPDATE: when it won the race).
 * Returns each item's result and the claims (prediction id -> label).
 */
function judgeItems(
  items: readonly FeedbackItem[],
  stored: ReadonlyMap<string, StoredPrediction>,
  labels: ReadonlyMap<number, string[]>,
  modelId: number,
  modelName: string,
  now: Date,
  mayClaim: (id: string) => boolean,
): { results: JudgedItem[]; claims: Map<string, string> } {
  const state = new Map<string, StoredPrediction>(stored);
  const claims = new Map<string, string>();
  const results: JudgedItem[] = [];
  for (const item of items) {
    const id = item.prediction_id.toLowerCase();
    const p = isPredictionId(id) ? state.get(id) : undefined;
    if (!p || p.modelId !== modelId) {
      results.push({
        result: {
          prediction_id: item.prediction_id,
          status: 'unknown_prediction',
          message: `no prediction ${JSON.stringify(item.prediction_id)} of model ${modelName} (never made, not logged yet or dropped, or removed by retention)`,
        },
      });
      continue;
    }
    const known = labels.get(p.versionId) ?? [];
    if (!known.includes(item.label)) {
      results.push({
        result: {
          prediction_id: item.prediction_id,
          status: 'unknown_label',
          message: `label ${JSON.stringify(item.label)} is not one of version ${p.version}'s labels: ${known.join(', ')}`,
        },
      });
      continue;
    }
    if (p.labelTrue === null && mayClaim(id)) {
      const updated = { ...p, labelTrue: item.label, feedbackAt: now.toISOString(), exampleImported: true };
      state.set(id, updated);
      claims.set(id, item.label);
      results.push({ result: { prediction_id: item.prediction_id, status: 'recorded', label: item.label }, prediction: updated });
      continue;
    }
    const result = judgeLabelled(item, p);
    // A repeat retries the example import, so an item whose import failed converges.
    const retry = result.status === 'unchanged' && !p.exampleImported;
    results.push(retry ? { result, prediction: p } : { result });
    if (retry) state.set(id, { ...p, exampleImported: true });
  }
  return { results, claims };
}

function judgeLabelled(item: FeedbackItem, p: StoredPrediction): FeedbackItemResult {
  if (p.labelTrue === item.label) return { prediction_id: item.prediction_id, status: 'unchanged', label: item.label };
  return {
    prediction_id: item.prediction_id,
    status: 'conflict',
    label: p.labelTrue!,
    message: `prediction already labelled ${JSON.stringify(p.labelTrue)} at ${p.feedbackAt}; the first label is final`,
  };
}
