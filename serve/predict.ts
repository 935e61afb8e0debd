/**
 * One prediction request, whatever the protocol: resolve the model (404 unknown, 503 no production
 * version), take its served version once (so the whole request uses one version), predict with
 * predictTexts (featurizing exactly as training did), count, and queue the log records.
 */
import { randomUUID } from 'node:crypto';
import { predictTexts, type Prediction } from '../activities/ml/classifier.ts';
import { HttpError } from './http-errors.ts';
import type { ModelEntry, ModelStore, ServedVersion } from './model-store.ts';
import type { PredictionLog } from './prediction-log.ts';

export interface PredictContext {
  store: ModelStore;
  log: PredictionLog;
  maxBatch: number;
}

export interface PredictResult {
  entry: ModelEntry;
  served: ServedVersion;
  ids: string[];
  predictions: Prediction[];
  /** label -> probability per text (what MLflow replies and the log stores). */
  probabilities: Array<Record<string, number>>;
}

/** The entry for `name`, or the HTTP error a client should get. */
export function resolveModel(store: ModelStore, name: string | undefined): ModelEntry & { served: ServedVersion } {
  const entry = name === undefined ? store.defaultModel() : store.get(name);
  if (!entry) {
    if (name === undefined) {
      const names = store.list().map((e) => e.name);
      throw new HttpError(
        404,
        names.length === 0
          ? 'no model is served: the registry has no models yet'
          : `this server serves ${names.length} models (${names.join(', ')}): name one with POST /models/{name}/invocations`,
      );
    }
    const known = store.list().map((e) => e.name);
    throw new HttpError(404, `unknown model ${JSON.stringify(name)}${known.length ? `; served models: ${known.join(', ')}` : ''}`);
  }
  if (!entry.served) {
    throw new HttpError(
      503,
      `model ${entry.name} has no production version yet: nothing to serve until one is promoted (it is served as soon as one is)` +
        (entry.loadError ? `; last load failed: ${entry.loadError}` : ''),
    );
  }
  return entry as ModelEntry & { served: ServedVersion };
}

export function predict(ctx: PredictContext, name: string | undefined, texts: string[], elapsedMs: () => number): PredictResult {
  const entry = resolveModel(ctx.store, name);
  if (texts.length > ctx.maxBatch) throw new HttpError(413, `${texts.length} texts in one request; the limit is ${ctx.maxBatch}`);
  const served = entry.served;
  const predictions = texts.length === 0 ? [] : predictTexts(served.model, texts);
  const latencyMs = elapsedMs();
  served.latency.observe(latencyMs / 1000);
  served.batchSize.observe(texts.length);
  const createdAt = new Date();
  const labels = served.labels;
  const ids = new Array<string>(predictions.length);
  const records = new Array<Record<string, number>>(predictions.length);
  for (let i = 0; i < predictions.length; i++) {
    const p = predictions[i];
    const id = randomUUID();
    ids[i] = id;
    const probabilities = (records[i] = probabilityRecord(labels, p.probabilities));
    served.predictionCounters[labels.indexOf(p.label)].inc();
    ctx.log.push({
      id,
      modelId: entry.modelId,
      versionId: served.versionId,
      version: served.version,
      createdAt,
      text: texts[i],
      label: p.label,
      probabilities,
      latencyMs,
    });
  }
  return { entry, served, ids, predictions, probabilities: records };
}

export function probabilityRecord(labels: readonly string[], probabilities: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (let k = 0; k < labels.length; k++) out[labels[k]] = probabilities[k];
  return out;
}
