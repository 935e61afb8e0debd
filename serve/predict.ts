/**
 * One prediction request, whatever the protocol: resolve the model (404 unknown, 503 no production
 * version), take its served version once (so the whole request uses one version), predict with
 * predictTexts (featurizing exactly as training did), count, and queue the log records.
 */
import { randomUUID } from 'node:crypto';
import { predictTexts, type Prediction } from '../ml/classifier.ts';
import { HttpError } from './http-errors.ts';
import type { ModelEntry, ModelStore, ServedVersion } from './model-store.ts';
import type { PredictionLog } from './prediction-log.ts';

export interface PredictContext {
  store: ModelStore;
  log: PredictionLog;
  maxBatch: number;
  batcher: PredictionBatcher;
}

interface Waiting {
  texts: string[];
  resolve: (predictions: Prediction[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces the requests of one event-loop turn that use the same served version into one
 * predictTexts call (up to `maxTexts` texts), so concurrent single-text requests share its fixed
 * cost (the featurizer's scratch space) instead of paying it each. Requests read in the same poll
 * phase are predicted in the check phase right after it: no timer, no added wait when idle. Each
 * request keeps the version it was resolved against.
 */
export class PredictionBatcher {
  private readonly waiting = new Map<ServedVersion, Waiting[]>();
  private scheduled = false;

  constructor(private readonly maxTexts = 256) {}

  predict(served: ServedVersion, texts: string[]): Promise<Prediction[]> {
    if (texts.length >= this.maxTexts) return Promise.resolve(predictTexts(served.model, texts));
    return new Promise((resolve, reject) => {
      let list = this.waiting.get(served);
      if (!list) this.waiting.set(served, (list = []));
      list.push({ texts, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.waiting];
    this.waiting.clear();
    for (const [served, list] of all) {
      let i = 0;
      while (i < list.length) {
        const group: Waiting[] = [];
        let n = 0;
        while (i < list.length && (group.length === 0 || n + list[i].texts.length <= this.maxTexts)) {
          n += list[i].texts.length;
          group.push(list[i++]);
        }
        try {
          const predictions = predictTexts(served.model, group.length === 1 ? group[0].texts : group.flatMap((w) => w.texts));
          let offset = 0;
          for (const w of group) {
            w.resolve(predictions.slice(offset, offset + w.texts.length));
            offset += w.texts.length;
          }
        } catch (err) {
          for (const w of group) w.reject(err);
        }
      }
    }
  }
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

export async function predict(
  ctx: PredictContext,
  name: string | undefined,
  texts: string[],
  elapsedMs: () => number,
): Promise<PredictResult> {
  const entry = resolveModel(ctx.store, name);
  if (texts.length > ctx.maxBatch) throw new HttpError(413, `${texts.length} texts in one request; the limit is ${ctx.maxBatch}`);
  const served = entry.served;
  const predictions = texts.length === 0 ? [] : await ctx.batcher.predict(served, texts);
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
