/**
 * The text classifier end to end, on plain labelled rows: featurize, train, evaluate. The CLI's
 * `train` command and the pipeline's activities both call these, so they measure the same thing.
 */
import { HashingVectorizer, resolveCharNgrams, resolveFeaturizerOptions, type FeaturizerOptions } from './hashing-vectorizer.ts';
import type { CsrMatrix } from './sparse.ts';
import { MlError } from './errors.ts';
import { checkExamples, encodeTestLabels, encodeTrainingLabels, type LabelledText } from './labelled-data.ts';
import { classificationMetrics, type ClassificationMetrics } from './metrics.ts';
import { argmaxRows, predictProba, type LinearModel } from './softmax-regression.ts';
import { trainSoftmax, type TrainHooks, type TrainingState } from './train.ts';
import { resolveTrainOptions, type TrainOptions } from './train-options.ts';
import { warmStartState } from './warm-start.ts';

export interface FitResult {
  model: LinearModel;
  state: TrainingState;
  featurizeSeconds: number;
  trainSeconds: number;
}

export interface FitOptions {
  /** Overrides of the default featurizer options. */
  featurizer?: Partial<FeaturizerOptions>;
  /** Overrides of the default training options. */
  train?: Partial<TrainOptions>;
  hooks?: TrainHooks;
  /** A checkpointed training state to continue from (wins over warmStart: it is the same run, resumed). */
  resumeFrom?: TrainingState;
  /**
   * Update mode: continue from this model (the champion) rather than from zero. Its featurizer and
   * IDF weights are used as they are (featurizer overrides are refused) and every row's label must be
   * one of its labels.
   */
  warmStart?: LinearModel;
  /** With warmStart: the champion's last training state, whose Adam moments and step carry over. */
  warmStartAdam?: TrainingState;
}

export async function fitClassifier(examples: readonly LabelledText[], fit: FitOptions = {}): Promise<FitResult> {
  if (fit.warmStart) return fitFromModel(examples, fit.warmStart, fit);
  const { featurizer = {}, train = {}, hooks = {}, resumeFrom } = fit;
  const { labels, y } = encodeTrainingLabels(examples);
  const texts = examples.map((e) => e.text);
  const t0 = performance.now();
  // 'auto' settles here on the training texts; the model records the settled value.
  const featurizerOptions = resolveCharNgrams(resolveFeaturizerOptions(featurizer), texts);
  const vectorizer = new HashingVectorizer(featurizerOptions);
  const x = vectorizer.fitTransform(texts);
  const t1 = performance.now();
  const trained = await trainSoftmax({ x, y, labels, featurizer: featurizerOptions, options: train, hooks, resumeFrom });
  const t2 = performance.now();
  const model: LinearModel = vectorizer.idf ? { ...trained.model, idf: vectorizer.idf } : trained.model;
  return { model, state: trained.state, featurizeSeconds: (t1 - t0) / 1000, trainSeconds: (t2 - t1) / 1000 };
}

async function fitFromModel(examples: readonly LabelledText[], champion: LinearModel, fit: FitOptions): Promise<FitResult> {
  const { train = {}, hooks = {}, resumeFrom, warmStartAdam } = fit;
  if (fit.featurizer && Object.keys(fit.featurizer).length > 0) {
    throw new MlError('InvalidOptions', "update mode keeps the model's featurizer; featurizer options cannot be changed");
  }
  checkExamples(examples, 'training');
  const known = new Set(champion.labels);
  const unknown = [...new Set(examples.map((e) => e.label))].filter((l) => !known.has(l));
  if (unknown.length > 0) {
    throw new MlError(
      'InvalidTrainingData',
      `update mode continues a model that knows ${champion.labels.map((l) => JSON.stringify(l)).join(', ')}; ` +
        `the rows also have ${unknown.map((l) => JSON.stringify(l)).join(', ')} (a full retrain can add labels)`,
    );
  }
  const { labels, y } = encodeTestLabels(examples, champion.labels);
  const t0 = performance.now();
  const x = featurizeForModel(
    champion,
    examples.map((e) => e.text),
  );
  const t1 = performance.now();
  const options = resolveTrainOptions(train);
  const start = resumeFrom ?? warmStartState(champion, options, warmStartAdam);
  const trained = await trainSoftmax({ x, y, labels, featurizer: champion.featurizer, options: train, hooks, resumeFrom: start });
  const t2 = performance.now();
  const model: LinearModel = champion.idf ? { ...trained.model, idf: champion.idf } : trained.model;
  return { model, state: trained.state, featurizeSeconds: (t1 - t0) / 1000, trainSeconds: (t2 - t1) / 1000 };
}

/**
 * One vectorizer per model, reused: building one allocates and zeroes a counts array of every
 * bucket (2 MB at 2^18), which cost more than featurizing a short text. Safe to share because
 * `transform` is synchronous (a JavaScript thread never interleaves two calls).
 */
const vectorizers = new WeakMap<LinearModel, HashingVectorizer>();

/** Featurizes texts for a trained model exactly as its training rows were (options and IDF weights from the model). */
export function featurizeForModel(model: LinearModel, texts: readonly string[]): CsrMatrix {
  let vectorizer = vectorizers.get(model);
  if (vectorizer === undefined || vectorizer.idf !== (model.idf ?? null)) {
    vectorizer = new HashingVectorizer(model.featurizer, model.idf ?? null);
    vectorizers.set(model, vectorizer);
  }
  return vectorizer.transform(texts);
}

export interface Evaluation {
  metrics: ClassificationMetrics;
  /** Per-row correctness, in input order (the paired evidence for McNemar). */
  correct: boolean[];
  predictions: string[];
}

export function evaluateClassifier(
  model: LinearModel,
  examples: readonly LabelledText[],
  options: { allowUnknownLabels?: boolean } = {},
): Evaluation {
  const evaluation = new EvaluationAccumulator(model, options);
  evaluation.add(examples);
  return evaluation.finish();
}

/**
 * evaluateClassifier a page of rows at a time: each page is featurized, predicted and dropped;
 * only labels, predictions and probabilities (K numbers a row) are kept until `finish`.
 */
export class EvaluationAccumulator {
  private readonly labels: string[];
  private y = new Int32Array(1024);
  private proba: Float64Array;
  private n = 0;
  private readonly K: number;

  constructor(
    private readonly model: LinearModel,
    private readonly options: { allowUnknownLabels?: boolean } = {},
  ) {
    this.labels = [...model.labels];
    this.K = model.labels.length;
    this.proba = new Float64Array(this.y.length * this.K);
  }

  add(examples: readonly LabelledText[]): void {
    if (examples.length === 0) return;
    // Codes against the labels seen so far, so an unknown label keeps one index across pages.
    const { labels, y } = encodeTestLabels(examples, this.labels, this.options.allowUnknownLabels ?? false);
    for (let i = this.labels.length; i < labels.length; i++) this.labels.push(labels[i]);
    const proba = predictProba(
      this.model,
      featurizeForModel(
        this.model,
        examples.map((e) => e.text),
      ),
    );
    const need = this.n + examples.length;
    if (need > this.y.length) {
      let capacity = this.y.length * 2;
      while (capacity < need) capacity *= 2;
      const y2 = new Int32Array(capacity);
      y2.set(this.y.subarray(0, this.n));
      this.y = y2;
      const p2 = new Float64Array(capacity * this.K);
      p2.set(this.proba.subarray(0, this.n * this.K));
      this.proba = p2;
    }
    this.y.set(y, this.n);
    this.proba.set(proba, this.n * this.K);
    this.n = need;
  }

  finish(): Evaluation {
    const y = this.y.slice(0, this.n);
    const proba = this.proba.slice(0, this.n * this.K);
    const pred = argmaxRows(proba, this.K);
    const metrics = classificationMetrics(y, pred, this.labels, { values: proba, labels: this.model.labels });
    const correct = Array.from(pred, (p, i) => p === y[i]);
    return { metrics, correct, predictions: Array.from(pred, (p) => this.model.labels[p]) };
  }
}

export interface Prediction {
  /** The most probable label. */
  label: string;
  /** Probability of each label, in the model's label order. */
  probabilities: Float64Array;
}

/**
 * Predicts texts with a trained model, featurizing them exactly as training did (the featurizer
 * options travel in the model). The one entry point for serving: whatever the featurizer or the
 * model learns to do, callers of this keep predicting as training evaluated.
 */
export function predictTexts(model: LinearModel, texts: readonly string[]): Prediction[] {
  const K = model.labels.length;
  const x = featurizeForModel(model, texts);
  const proba = predictProba(model, x);
  const best = argmaxRows(proba, K);
  return Array.from(best, (k, i) => ({ label: model.labels[k], probabilities: proba.slice(i * K, (i + 1) * K) }));
}
