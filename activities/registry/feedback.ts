/**
 * Feedback: the true label of earlier predictions. A labelled prediction becomes a labelled
 * example of its model (source `feedback`, `ts` the time of the feedback) through the ordinary
 * examples import, so the next retraining run trains and evaluates on what production saw.
 *
 * The rule for a changed label: the first label given is final. Repeating it is a no-op
 * (`unchanged`); a different label for an already-labelled prediction is refused (`conflict`) and
 * changes nothing, because the first label may already be training data (examples are
 * deduplicated by text and never relabelled) and one client must not silently overwrite another.
 */
import { importExamples } from '../data/import-examples.ts';
import { getModel } from './models.ts';
import type { Db } from './pool.ts';
import { getPredictions, isPredictionId, type StoredPrediction } from './predictions.ts';

export const FEEDBACK_SOURCE = 'feedback';

export interface FeedbackItem {
  prediction_id: string;
  label: string;
}

export type FeedbackStatus = 'recorded' | 'unchanged' | 'conflict' | 'unknown_prediction' | 'unknown_label';

/** What happened to the labelled prediction's text as a training example. */
export type ExampleStatus = 'added' | 'already_known' | 'text_not_logged';

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

async function versionLabels(db: Db, versionIds: number[]): Promise<Map<number, string[]>> {
  if (versionIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; labels: string[] }>('SELECT id, labels FROM model_versions WHERE id = ANY($1::bigint[])', [
    versionIds,
  ]);
  return new Map(rows.map((r) => [Number(r.id), r.labels]));
}

/** Records feedback items for `modelName` (an unknown model throws RegistryError UnknownModel). */
export async function recordFeedback(db: Db, modelName: string, items: readonly FeedbackItem[], now = new Date()): Promise<FeedbackReport> {
  const model = await getModel(db, modelName);
  const stored = await getPredictions(
    db,
    items.map((i) => i.prediction_id),
  );
  const labels = await versionLabels(db, [...new Set([...stored.values()].map((p) => p.versionId))]);
  // Working copy: a request naming the same prediction twice sees its own first item.
  const state = new Map<string, StoredPrediction>(stored);
  const results: FeedbackItemResult[] = [];
  const toImport: Array<{ result: FeedbackItemResult; prediction: StoredPrediction }> = [];

  for (const item of items) {
    const id = item.prediction_id.toLowerCase();
    const p = isPredictionId(id) ? state.get(id) : undefined;
    if (!p || p.modelId !== model.id) {
      results.push({
        prediction_id: item.prediction_id,
        status: 'unknown_prediction',
        message: `no prediction ${JSON.stringify(item.prediction_id)} of model ${modelName} (never made, not logged yet or dropped, or removed by retention)`,
      });
      continue;
    }
    const known = labels.get(p.versionId) ?? [];
    if (!known.includes(item.label)) {
      results.push({
        prediction_id: item.prediction_id,
        status: 'unknown_label',
        message: `label ${JSON.stringify(item.label)} is not one of version ${p.version}'s labels: ${known.join(', ')}`,
      });
      continue;
    }
    if (p.labelTrue === null) {
      const { rows } = await db.query<{ label_true: string; feedback_at: Date }>(
        `UPDATE predictions SET label_true = $2, feedback_at = $3 WHERE id = $1 AND label_true IS NULL RETURNING label_true, feedback_at`,
        [id, item.label, now],
      );
      if (rows[0]) {
        const updated = { ...p, labelTrue: item.label, feedbackAt: now.toISOString(), exampleImported: true };
        state.set(id, updated);
        const result: FeedbackItemResult = { prediction_id: item.prediction_id, status: 'recorded', label: item.label };
        results.push(result);
        toImport.push({ result, prediction: updated });
        continue;
      }
      // Another request labelled it between our read and our update: judge against its label.
      const again = (await getPredictions(db, [id])).get(id)!;
      state.set(id, again);
      results.push(judgeLabelled(item, again));
      continue;
    }
    const result = judgeLabelled(item, p);
    results.push(result);
    // A repeat retries the example import, so an item whose import failed converges.
    if (result.status === 'unchanged' && !p.exampleImported) toImport.push({ result, prediction: p });
  }

  for (const { result, prediction } of toImport) {
    result.example = await importAsExample(db, modelName, prediction);
  }
  const counts: Record<FeedbackStatus, number> = { recorded: 0, unchanged: 0, conflict: 0, unknown_prediction: 0, unknown_label: 0 };
  for (const r of results) counts[r.status]++;
  return { model: modelName, results, counts };
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

async function importAsExample(db: Db, modelName: string, p: StoredPrediction): Promise<ExampleStatus> {
  if (p.text === null) return 'text_not_logged';
  const report = await importExamples(db, modelName, FEEDBACK_SOURCE, [
    {
      text: p.text,
      label: p.labelTrue!,
      externalId: p.id,
      ts: p.feedbackAt!,
      metadata: { prediction_id: p.id, predicted_label: p.label, version: p.version, predicted_at: p.createdAt },
    },
  ]);
  await db.query('UPDATE predictions SET example_imported = true WHERE id = $1', [p.id]);
  return report.accepted > 0 ? 'added' : 'already_known';
}
