/**
 * Mini-batch training of the linear model with lazy Adam: binary logistic regression (one weight
 * column) for two labels, softmax regression for more. Deterministic: the same data, options and
 * seed give bit-identical weights, and a run resumed from an epoch checkpoint ends with the same
 * weights as an uninterrupted one (the checkpoint carries weights, moments, step and RNG).
 * The loop yields the event loop every `yieldEveryMs` so heartbeats and cancellation flow when it
 * runs inside an activity.
 */
import { Adam } from './adam.ts';
import { MlError } from './errors.ts';
import type { FeaturizerOptions } from './hashing-vectorizer.ts';
import { weightColumns, type LinearModel } from './softmax-regression.ts';
import type { CsrMatrix } from './sparse.ts';
import { Rng } from './rng.ts';
import { SparseBatchTrainer } from './sparse-batch-trainer.ts';
import { resolveTrainOptions, type TrainOptions } from './train-options.ts';
import type { TrainingHooks, TrainingProgress } from './training-hooks.ts';

export interface EpochSummary {
  epoch: number;
  trainLoss: number;
  validationLoss: number | null;
}

/** Everything needed to continue training exactly where it stopped. */
export interface TrainingState extends TrainingProgress<EpochSummary> {
  labels: string[];
  featurizer: FeaturizerOptions;
  options: TrainOptions;
  /** Weight columns C: 1 for two labels (binary logistic), else the number of labels. */
  columns: number;
  /**
   * Weights and Adam moments interleaved, buckets x 3C: feature j's C weights at j*3C, their first
   * moments at j*3C + C, their second moments at j*3C + 2C. One cache line serves a feature's update.
   */
  params: Float32Array;
  bias: Float32Array;
  mBias: Float32Array;
  vBias: Float32Array;
}

/** The weights of a training state, buckets x C (feature-major), copied out of the interleaved parameters. */
export function stateWeights(state: TrainingState): Float32Array {
  const C = state.columns;
  const stride = 3 * C;
  const params = state.params;
  const buckets = params.length / stride;
  const weights = new Float32Array(buckets * C);
  for (let j = 0, from = 0, to = 0; j < buckets; j++, from += stride, to += C) {
    for (let c = 0; c < C; c++) weights[to + c] = params[from + c];
  }
  return weights;
}

export type TrainHooks = TrainingHooks<TrainingState, EpochSummary>;

export interface TrainResult {
  model: LinearModel;
  state: TrainingState;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Deterministic train/validation split of row indices. */
export function splitValidation(n: number, fraction: number, seed: number): { train: Int32Array; validation: Int32Array } {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  new Rng((seed ^ 0x5bd1e995) >>> 0).shuffle(order);
  const nValidation = fraction > 0 ? Math.max(1, Math.floor(n * fraction)) : 0;
  return {
    validation: order.slice(0, nValidation).sort(),
    train: order.slice(nValidation).sort(),
  };
}

function classWeightVector(options: TrainOptions, labels: string[], counts: Float64Array, total: number): Float64Array {
  const K = labels.length;
  const weights = new Float64Array(K).fill(1);
  if (options.classWeights === 'balanced') {
    for (let k = 0; k < K; k++) weights[k] = counts[k] > 0 ? total / (K * counts[k]) : 1;
  } else if (typeof options.classWeights === 'object') {
    for (let k = 0; k < K; k++) weights[k] = options.classWeights[labels[k]] ?? 1;
  }
  return weights;
}

/** Rows of a feature matrix: `rows` indexes into `x` and `y`, ascending. The trainer may keep x (unchanged) between uses. */
export interface TrainingBlock {
  x: CsrMatrix;
  y: Int32Array;
  rows: Int32Array;
}

/**
 * Where training rows come from: all in memory as one block (`memorySource`) or streamed from the
 * registry in bounded blocks (activities/pipeline/streamed-source.ts). The trainer draws every
 * random choice of an epoch from the rng it passes, so a source that orders its rows from that rng
 * alone keeps training deterministic and resumable from an epoch checkpoint.
 */
export interface TrainingSource {
  /** All rows, training and validation (class weights count over them; fewer than 10 turn validation off). */
  totalRows: number;
  /** Rows per class over all rows, in label order. */
  classCounts: Float64Array;
  /** The held-out rows early stopping watches, the same in every epoch and attempt; null for none. */
  validation: TrainingBlock | null;
  /** One epoch's blocks, each with its rows in shuffled order (indices into the block's x and y). */
  epoch(rng: Rng): AsyncIterable<{ block: TrainingBlock; order: Int32Array }>;
}

/** Counts of each class index in `y`. */
export function classCountsOf(y: Int32Array, K: number): Float64Array {
  const counts = new Float64Array(K);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  return counts;
}

/** All rows in memory: one block per epoch in an order shuffled over every training row, and a split-off validation set. */
export function memorySource(x: CsrMatrix, y: Int32Array, K: number, options: TrainOptions): TrainingSource {
  const useValidation = options.earlyStopping && options.validationFraction > 0 && x.rows >= 10;
  const split = useValidation
    ? splitValidation(x.rows, options.validationFraction, options.seed)
    : { train: Int32Array.from({ length: x.rows }, (_, i) => i), validation: new Int32Array(0) };
  const train: TrainingBlock = { x, y, rows: split.train };
  return {
    totalRows: x.rows,
    classCounts: classCountsOf(y, K),
    validation: useValidation ? { x, y, rows: split.validation } : null,
    async *epoch(rng: Rng) {
      yield { block: train, order: rng.shuffle(split.train.slice()) };
    },
  };
}

/** `columns` defaults to weightColumns(K); K columns for two labels train the softmax path (as before format 2). */
export function initialTrainingState(
  labels: string[],
  featurizer: FeaturizerOptions,
  options: TrainOptions,
  columns = weightColumns(labels.length),
): TrainingState {
  return {
    labels,
    featurizer,
    options,
    epoch: 0,
    step: 0,
    rngState: options.seed >>> 0,
    bestValidationLoss: null,
    epochsWithoutImprovement: 0,
    stoppedEarly: false,
    history: [],
    columns,
    params: new Float32Array(featurizer.buckets * 3 * columns),
    bias: new Float32Array(columns),
    mBias: new Float32Array(columns),
    vBias: new Float32Array(columns),
  };
}

export interface TrainSoftmaxInput {
  /** Feature rows. */
  x: CsrMatrix;
  /** Class index (into `labels`) of each row. */
  y: Int32Array;
  labels: string[];
  /** The featurizer that made `x`; kept with the model. */
  featurizer: FeaturizerOptions;
  /** Overrides of the default training options. */
  options?: Partial<TrainOptions>;
  hooks?: TrainHooks;
  /** A checkpointed state to continue from; it must have been written with the same options. */
  resumeFrom?: TrainingState;
  /** Train two labels as a two-column softmax rather than one logistic column (for comparison). Default false. */
  binaryAsSoftmax?: boolean;
}

/** Trains the softmax model on `x`, `y` with lazy Adam; resumes from a checkpoint when given one. */
export async function trainSoftmax(input: TrainSoftmaxInput): Promise<TrainResult> {
  const { x, y, labels, featurizer } = input;
  if (x.rows !== y.length) throw new MlError('InvalidTrainingData', `${x.rows} feature rows but ${y.length} labels`);
  if (x.cols !== featurizer.buckets)
    throw new MlError('InvalidOptions', `features have ${x.cols} columns, featurizer ${featurizer.buckets} buckets`);
  const source = memorySource(x, y, labels.length, resolveTrainOptions(input.options));
  return trainOnSource({ ...input, source });
}

export interface TrainOnSourceInput extends Omit<TrainSoftmaxInput, 'x' | 'y'> {
  source: TrainingSource;
}

/** The training loop over any source of rows (see TrainingSource). */
export async function trainOnSource(input: TrainOnSourceInput): Promise<TrainResult> {
  const { source, labels, featurizer, hooks = {}, resumeFrom } = input;
  const options = resolveTrainOptions(input.options);
  const K = labels.length;
  if (K < 2) throw new MlError('InvalidTrainingData', `training needs at least 2 labels, got ${K}`);

  const state = resumeFrom ?? initialTrainingState(labels, featurizer, options, input.binaryAsSoftmax ? K : weightColumns(K));
  const C = state.columns;
  if ((C !== K && C !== weightColumns(K)) || state.params.length !== featurizer.buckets * 3 * C || state.bias.length !== C) {
    throw new MlError(
      'InvalidOptions',
      `training state has ${C} weight columns and ${state.params.length} parameters; labels and featurizer disagree`,
    );
  }
  if (resumeFrom && JSON.stringify(resumeFrom.options) !== JSON.stringify(options)) {
    throw new MlError('InvalidOptions', 'checkpoint was written with other training options; cannot resume');
  }
  const validation = source.validation !== null && source.validation.rows.length > 0 ? source.validation : null;
  const sampleClassWeight = classWeightVector(options, labels, source.classCounts, source.totalRows);

  const adamOptions = {
    learningRate: options.learningRate,
    beta1: options.beta1,
    beta2: options.beta2,
    epsilon: options.epsilon,
    weightDecay: options.weightDecay,
  };
  const adamBias = new Adam(C, adamOptions, { m: state.mBias, v: state.vBias, step: state.step });

  const batchTrainer = new SparseBatchTrainer(sampleClassWeight, state, options);
  const yieldEveryMs = hooks.yieldEveryMs ?? 20;
  let lastYield = performance.now();

  const rng = Rng.fromState(state.rngState);
  // The batch trainer works on its own copy of the weights and moments: state.params is brought up
  // to date before onEpoch sees the state, and when training ends (or throws).
  try {
    while (state.epoch < options.epochs && !state.stoppedEarly) {
      let epochLoss = 0;
      let epochRows = 0;
      for await (const { block, order } of source.epoch(rng)) {
        batchTrainer.use(block.x, block.y);
        epochRows += order.length;
        for (let start = 0; start < order.length; start += options.batchSize) {
          const end = Math.min(order.length, start + options.batchSize);
          adamBias.beginStep();
          const batchLoss = batchTrainer.step(order, start, end, adamBias.step, adamBias);
          if (!Number.isFinite(batchLoss)) {
            throw new MlError(
              'TrainingDiverged',
              `training diverged at epoch ${state.epoch + 1}, step ${adamBias.step}: the loss became ${batchLoss} ` +
                `(learning rate ${options.learningRate} is likely too large)`,
            );
          }
          epochLoss += batchLoss;

          if (performance.now() - lastYield >= yieldEveryMs) {
            // A liveness tick: state.params is not current mid-epoch (as step and rngState are not).
            hooks.onYield?.(state);
            await yieldToEventLoop();
            lastYield = performance.now();
            if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('training aborted');
          }
        }
        // A streamed source reads between blocks: heartbeat and honour cancellation there too.
        if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('training aborted');
      }
      if (epochRows === 0) throw new MlError('InvalidTrainingData', 'the training source gave no rows to train on');
      state.step = adamBias.step;
      state.rngState = rng.getState();
      state.epoch++;
      const trainLoss = epochLoss / epochRows;
      if (!Number.isFinite(trainLoss) || batchTrainer.nonFinite || !state.bias.every(Number.isFinite)) {
        throw new MlError('TrainingDiverged', `training diverged in epoch ${state.epoch}: weights are no longer finite`);
      }
      // A model that guesses uniformly scores ln K; a hundred times worse than that is not learning.
      if (trainLoss > 100 * Math.max(1, Math.log(K))) {
        throw new MlError(
          'TrainingDiverged',
          `training diverged in epoch ${state.epoch}: mean loss ${trainLoss.toPrecision(4)} (learning rate ${options.learningRate} is likely too large)`,
        );
      }
      let validationLoss: number | null = null;
      if (validation) {
        batchTrainer.use(validation.x, validation.y);
        validationLoss = batchTrainer.meanLoss(validation.rows);
        if (state.bestValidationLoss === null || validationLoss < state.bestValidationLoss - options.tolerance) {
          state.bestValidationLoss = validationLoss;
          state.epochsWithoutImprovement = 0;
        } else {
          state.epochsWithoutImprovement++;
          if (state.epochsWithoutImprovement >= options.patience) state.stoppedEarly = true;
        }
      }
      const summary: EpochSummary = { epoch: state.epoch, trainLoss, validationLoss };
      state.history.push(summary);
      if (hooks.onEpoch) {
        batchTrainer.syncState();
        await hooks.onEpoch(state, summary);
      }
    }
  } finally {
    batchTrainer.syncState();
  }
  return { model: { labels, featurizer, weights: stateWeights(state), bias: Float32Array.from(state.bias) }, state };
}
