/**
 * Training of the tabular network by mini-batch Adam: squared error or Huber on the standardised
 * target (regression), softmax cross-entropy (classification), early stopping on a held-out share.
 * Deterministic: one seeded PRNG draws the initial weights and then every epoch's shuffle, so the
 * same rows, options and seed give bit-identical weights, and a run resumed from an epoch checkpoint
 * (weights, Adam moments and step, PRNG state, early-stopping counters) ends with the same bytes as
 * an uninterrupted one. The preprocessing and the target scaling are fitted on the training share
 * only (the held-out share is not seen), and kept in the state and the model.
 */
import { createHash } from 'node:crypto';
import { Adam } from '../adam.ts';
import { MlError } from '../errors.ts';
import { MIN_TRAINING_EXAMPLES } from '../labelled-data.ts';
import { Rng } from '../rng.ts';
import { splitValidation } from '../train.ts';
import { type TabularModel, type TargetScaling, checkTabularModel } from './model.ts';
import { Network, initialParameters, layerSizes, rowLoss, type TabularLoss } from './network.ts';
import { fitPreprocessor, transformRows, type PreprocessOptions } from './preprocess.ts';
import { categoryText, checkRows, inferSchema, type TabularRow, type TabularSchema, type TabularTask } from './schema.ts';
import { resolveTabularTrainOptions, type TabularTrainOptions } from './train-options.ts';
import type { TrainingHooks, TrainingProgress } from '../training-hooks.ts';

export interface TabularEpochSummary {
  epoch: number;
  trainLoss: number;
  validationLoss: number | null;
}

/** Everything needed to continue training exactly where it stopped. */
export interface TabularTrainingState extends TrainingProgress<TabularEpochSummary>, TabularModel {
  options: TabularTrainOptions;
  /** sha256 of the transformed training rows and targets: a resume must see the same rows. */
  dataSha256: string;
  m: Float32Array;
  v: Float32Array;
}

/** The progress of a run that has not trained an epoch yet. */
const notStarted = (step: number, rngState: number): TrainingProgress<TabularEpochSummary> => ({
  epoch: 0,
  step,
  rngState,
  bestValidationLoss: null,
  epochsWithoutImprovement: 0,
  stoppedEarly: false,
  history: [],
});

export type TabularTrainHooks = TrainingHooks<TabularTrainingState, TabularEpochSummary>;

export interface TabularFitOptions {
  /** The schema to train on; default: inferred from the rows (with `task` when given). */
  schema?: TabularSchema;
  task?: TabularTask;
  preprocess?: Partial<PreprocessOptions>;
  train?: Partial<TabularTrainOptions>;
  hooks?: TabularTrainHooks;
  /** A checkpointed state to continue from (same rows and options): the same run, resumed. */
  resumeFrom?: TabularTrainingState;
  /**
   * Continue from this model (the champion): its schema, preprocessing, target scaling, labels and
   * layers are kept (a different `hidden`, schema, task or preprocessing is refused), its weights
   * are the starting point, and every row's class must be one of its labels.
   */
  warmStart?: TabularModel;
  /** With warmStart: the champion's last training state, whose Adam moments and step carry over. */
  warmStartAdam?: TabularTrainingState;
}

export interface TabularFitResult {
  model: TabularModel;
  state: TabularTrainingState;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The model a training state holds (a copy of its weights). */
export function stateModel(state: TabularTrainingState): TabularModel {
  const { task, schema, preprocessor, labels, target, layers } = state;
  return { task, schema, preprocessor, labels, target, layers, params: Float32Array.from(state.params) };
}

interface Prepared {
  x: Float32Array;
  /** Standardised targets (regression) or class indices (classification). */
  y: Float64Array;
  train: Int32Array;
  validation: Int32Array;
  sha256: string;
}

function checkTrainingRows(rows: readonly TabularRow[], schema: TabularSchema): void {
  if (rows.length < MIN_TRAINING_EXAMPLES) {
    throw new MlError('InvalidTrainingData', `training needs at least ${MIN_TRAINING_EXAMPLES} rows, got ${rows.length}`);
  }
  const { bad } = checkRows(rows, schema);
  if (bad.length > 0) {
    const shown = bad.slice(0, 3).map((b) => `row ${b.row + 1}: ${b.problems.map((p) => p.message).join('; ')}`);
    throw new MlError(
      'InvalidTrainingData',
      `${bad.length} training row(s) are not usable: ${shown.join(' | ')}${bad.length > 3 ? ' | ...' : ''}`,
    );
  }
}

function split(n: number, options: TabularTrainOptions): { train: Int32Array; validation: Int32Array } {
  if (options.earlyStopping && options.validationFraction > 0 && n >= 10) {
    return splitValidation(n, options.validationFraction, options.seed);
  }
  return { train: Int32Array.from({ length: n }, (_, i) => i), validation: new Int32Array(0) };
}

function targetScaling(rows: readonly TabularRow[], train: Int32Array): TargetScaling {
  let mean = 0;
  let m2 = 0;
  for (let k = 0; k < train.length; k++) {
    const v = rows[train[k]].label as number;
    const d = v - mean;
    mean += d / (k + 1);
    m2 += d * (v - mean);
  }
  const std = Math.sqrt(m2 / train.length);
  return { mean, std: std > 0 ? std : 1 };
}

/** The starting state of a fresh run: schema, preprocessing and scaling fitted on the training share. */
function freshState(rows: readonly TabularRow[], fit: TabularFitOptions, options: TabularTrainOptions): TabularTrainingState {
  const schema = fit.schema ?? inferSchema(rows, fit.task);
  checkTrainingRows(rows, schema);
  const { train } = split(rows.length, options);
  const trainRows = Array.from(train, (i) => rows[i]);
  const preprocessor = fitPreprocessor(trainRows, schema, fit.preprocess);
  const task = schema.task;
  const labels = task === 'classification' ? [...new Set(rows.map((r) => categoryText(r.label as string)))].sort() : [];
  if (task === 'classification' && labels.length < 2) {
    throw new MlError('InvalidTrainingData', `classification needs at least 2 distinct labels, got ${labels.length}`);
  }
  const target = task === 'regression' ? targetScaling(rows, train) : null;
  const layers = layerSizes(preprocessor.width, options.hidden, task === 'regression' ? 1 : labels.length);
  const rng = new Rng(options.seed);
  const params = initialParameters(layers, rng);
  return {
    task,
    schema,
    preprocessor,
    labels,
    target,
    layers,
    options,
    ...notStarted(0, rng.getState()),
    dataSha256: '',
    params,
    m: new Float32Array(params.length),
    v: new Float32Array(params.length),
  };
}

/** A state starting from a trained model's weights (update mode). */
function warmState(rows: readonly TabularRow[], fit: TabularFitOptions, options: TabularTrainOptions): TabularTrainingState {
  const model = fit.warmStart!;
  checkTabularModel(model, 'warm-start model');
  if (fit.schema || fit.task || (fit.preprocess && Object.keys(fit.preprocess).length > 0)) {
    throw new MlError('InvalidOptions', "update mode keeps the model's schema and preprocessing; they cannot be changed");
  }
  const hidden = model.layers.slice(1, -1);
  if (fit.train?.hidden !== undefined && JSON.stringify(fit.train.hidden) !== JSON.stringify(hidden)) {
    throw new MlError(
      'InvalidOptions',
      `update mode keeps the model's hidden layers ${JSON.stringify(hidden)}; got ${JSON.stringify(fit.train.hidden)}`,
    );
  }
  checkTrainingRows(rows, model.schema);
  if (model.task === 'classification') {
    const unknown = [...new Set(rows.map((r) => categoryText(r.label as string)))].filter((l) => !model.labels.includes(l));
    if (unknown.length > 0) {
      const names = unknown.map((l) => JSON.stringify(l)).join(', ');
      throw new MlError('InvalidTrainingData', `update mode: labels the model does not know: ${names}`);
    }
  }
  const params = Float32Array.from(model.params);
  const adam = fit.warmStartAdam;
  if (adam && (adam.m.length !== params.length || adam.v.length !== params.length)) {
    throw new MlError('InvalidOptions', `Adam state has ${adam.m.length} moments; the model has ${params.length} parameters`);
  }
  return {
    task: model.task,
    schema: model.schema,
    preprocessor: model.preprocessor,
    labels: [...model.labels],
    target: model.target,
    layers: [...model.layers],
    options: { ...options, hidden },
    ...notStarted(adam?.step ?? 0, options.seed >>> 0),
    dataSha256: '',
    params,
    m: adam ? Float32Array.from(adam.m) : new Float32Array(params.length),
    v: adam ? Float32Array.from(adam.v) : new Float32Array(params.length),
  };
}

function prepare(rows: readonly TabularRow[], state: TabularTrainingState): Prepared {
  const x = transformRows(state.preprocessor, rows);
  const index = new Map(state.labels.map((l, i) => [l, i]));
  const { mean, std } = state.target ?? { mean: 0, std: 1 };
  const y = Float64Array.from(rows, (r) =>
    state.task === 'regression' ? ((r.label as number) - mean) / std : (index.get(categoryText(r.label as string)) ?? -1),
  );
  if (state.task === 'classification' && y.some((v) => v < 0)) {
    throw new MlError('InvalidTrainingData', 'a training row has a label the state does not know');
  }
  const sha256 = createHash('sha256')
    .update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength))
    .update(new Uint8Array(y.buffer, y.byteOffset, y.byteLength))
    .digest('hex');
  return { x, y, sha256, ...split(rows.length, state.options) };
}

/** Trains on tabular rows: fresh, resumed from a checkpoint, or warm-started from a model. */
export async function fitTabular(rows: readonly TabularRow[], fit: TabularFitOptions = {}): Promise<TabularFitResult> {
  const hooks = fit.hooks ?? {};
  const requested = resolveTabularTrainOptions(fit.train);
  let state: TabularTrainingState;
  if (fit.resumeFrom) {
    state = fit.resumeFrom;
    const options = resolveTabularTrainOptions({ ...fit.train, hidden: fit.train?.hidden ?? state.options.hidden });
    if (JSON.stringify(state.options) !== JSON.stringify(options)) {
      throw new MlError('InvalidOptions', 'checkpoint was written with other training options; cannot resume');
    }
    checkTrainingRows(rows, state.schema);
  } else {
    state = fit.warmStart ? warmState(rows, fit, requested) : freshState(rows, fit, requested);
  }
  const { options } = state;
  const data = prepare(rows, state);
  if (!fit.resumeFrom) state.dataSha256 = data.sha256;
  else if (state.dataSha256 !== data.sha256) {
    throw new MlError('InvalidTrainingData', 'checkpoint was written for other training rows; cannot resume');
  }
  const loss: TabularLoss = state.task === 'classification' ? 'cross-entropy' : options.regressionLoss;
  const net = new Network(state.layers);
  const adam = new Adam(state.params.length, options, { m: state.m, v: state.v, step: state.step });
  const grad = new Float64Array(state.params.length);
  const outGrad = new Float64Array(state.layers[state.layers.length - 1]);
  const rng = Rng.fromState(state.rngState);
  const yieldEveryMs = hooks.yieldEveryMs ?? 20;
  let lastYield = performance.now();

  const meanLoss = (indices: Int32Array): number => {
    let total = 0;
    for (const r of indices) total += rowLoss(loss, net.forward(state.params, data.x, r), data.y[r], options.huberDelta, outGrad);
    return total / indices.length;
  };

  while (state.epoch < options.epochs && !state.stoppedEarly) {
    const order = rng.shuffle(data.train.slice());
    let epochLoss = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      const end = Math.min(order.length, start + options.batchSize);
      grad.fill(0);
      const scale = 1 / (end - start);
      for (let k = start; k < end; k++) {
        const r = order[k];
        const out = net.forward(state.params, data.x, r);
        epochLoss += rowLoss(loss, out, data.y[r], options.huberDelta, outGrad);
        net.backward(state.params, outGrad, scale, grad);
      }
      adam.stepDense(state.params, grad);
      if (!Number.isFinite(epochLoss)) {
        throw new MlError(
          'TrainingDiverged',
          `training diverged at epoch ${state.epoch + 1}, step ${adam.step} (learning rate ${options.learningRate} is likely too large)`,
        );
      }
      if (performance.now() - lastYield >= yieldEveryMs) {
        hooks.onYield?.(state);
        await yieldToEventLoop();
        lastYield = performance.now();
        if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('training aborted');
      }
    }
    state.step = adam.step;
    state.rngState = rng.getState();
    state.epoch++;
    if (!state.params.every(Number.isFinite)) {
      throw new MlError('TrainingDiverged', `training diverged in epoch ${state.epoch}: weights are no longer finite`);
    }
    let validationLoss: number | null = null;
    if (data.validation.length > 0) {
      validationLoss = meanLoss(data.validation);
      if (state.bestValidationLoss === null || validationLoss < state.bestValidationLoss - options.tolerance) {
        state.bestValidationLoss = validationLoss;
        state.epochsWithoutImprovement = 0;
      } else if (++state.epochsWithoutImprovement >= options.patience) {
        state.stoppedEarly = true;
      }
    }
    const summary: TabularEpochSummary = { epoch: state.epoch, trainLoss: epochLoss / order.length, validationLoss };
    state.history.push(summary);
    if (hooks.onEpoch) await hooks.onEpoch(state, summary);
  }
  return { model: stateModel(state), state };
}
