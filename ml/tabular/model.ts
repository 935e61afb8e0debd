/**
 * A trained tabular model (schema, preprocessing, network) and what it does with rows: predict and
 * evaluate. Regression outputs are in standardised target units inside the network and are mapped
 * back with the training target's mean and std.
 */
import { MlError } from '../errors.ts';
import { classificationMetrics, type ClassificationMetrics } from '../metrics.ts';
import { Network, parameterCount, softmaxInto } from './network.ts';
import { transformInto, type Preprocessor } from './preprocess.ts';
import { regressionMetrics, squaredErrors, type RegressionMetrics } from './regression-metrics.ts';
import { categoryText, type TabularRow, type TabularSchema, type TabularTask } from './schema.ts';

export interface TargetScaling {
  mean: number;
  std: number;
}

export interface TabularModel {
  task: TabularTask;
  schema: TabularSchema;
  preprocessor: Preprocessor;
  /** Classification: the classes, in output order. Regression: []. */
  labels: string[];
  /** Regression: the training target's mean and std; classification: null. */
  target: TargetScaling | null;
  /** Layer sizes [inputs, ...hidden, outputs]; ReLU between layers. */
  layers: number[];
  params: Float32Array;
}

export type TabularPredictions =
  | { task: 'regression'; values: Float64Array }
  | { task: 'classification'; labels: string[]; predicted: Int32Array; predictedLabels: string[]; proba: Float64Array };

/** Checks that a model's parts agree; throws ModelCorrupted naming the fault. */
export function checkTabularModel(model: TabularModel, what = 'tabular model'): void {
  const fail = (why: string): never => {
    throw new MlError('ModelCorrupted', `${what}: ${why}`);
  };
  const { layers, preprocessor, task } = model;
  if (layers.length < 2 || layers[0] !== preprocessor.width)
    fail(`input layer ${layers[0]} does not match the preprocessor's ${preprocessor.width} columns`);
  const outputs = layers[layers.length - 1];
  if (task === 'regression' && (outputs !== 1 || model.target === null)) fail('a regression model needs one output and its target scaling');
  if (task === 'classification' && (outputs !== model.labels.length || outputs < 2))
    fail(`${outputs} outputs for ${model.labels.length} labels`);
  if (model.params.length !== parameterCount(layers)) fail(`${model.params.length} parameters, expected ${parameterCount(layers)}`);
}

/** Predicts rows (their features; labels and unknown columns are ignored). */
export function predictTabular(model: TabularModel, rows: readonly Pick<TabularRow, 'features'>[]): TabularPredictions {
  const net = new Network(model.layers);
  const width = model.preprocessor.width;
  const x = new Float32Array(width);
  if (model.task === 'regression') {
    const { mean, std } = model.target!;
    const values = new Float64Array(rows.length);
    rows.forEach((row, r) => {
      transformInto(model.preprocessor, row.features, x);
      values[r] = net.forward(model.params, x, 0)[0] * std + mean;
    });
    return { task: 'regression', values };
  }
  const K = model.labels.length;
  const proba = new Float64Array(rows.length * K);
  const predicted = new Int32Array(rows.length);
  rows.forEach((row, r) => {
    transformInto(model.preprocessor, row.features, x);
    softmaxInto(net.forward(model.params, x, 0), proba, r * K);
    let best = 0;
    for (let k = 1; k < K; k++) if (proba[r * K + k] > proba[r * K + best]) best = k;
    predicted[r] = best;
  });
  return { task: 'classification', labels: model.labels, predicted, predictedLabels: Array.from(predicted, (k) => model.labels[k]), proba };
}

export type TabularEvaluation =
  | { task: 'regression'; metrics: RegressionMetrics; predictions: Float64Array; squaredErrors: Float64Array }
  | { task: 'classification'; metrics: ClassificationMetrics; predicted: Int32Array; correct: boolean[] };

/**
 * Measures the model on labelled rows: regression metrics and each row's squared error (for the
 * paired Wilcoxon test), or classification metrics and which rows are right (for McNemar). A class
 * the model never saw counts as wrong.
 */
export function evaluateTabular(model: TabularModel, rows: readonly TabularRow[]): TabularEvaluation {
  rows.forEach((row, i) => {
    const label = row.label;
    const ok = model.task === 'regression' ? typeof label === 'number' && Number.isFinite(label) : label !== null && label !== undefined;
    if (!ok)
      throw new MlError(
        'InvalidTestData',
        `test row ${i + 1}: the label is missing or not a ${model.task === 'regression' ? 'finite number' : 'class'}`,
      );
  });
  const p = predictTabular(model, rows);
  if (p.task === 'regression') {
    const truth = rows.map((r) => r.label as number);
    return {
      task: 'regression',
      metrics: regressionMetrics(truth, p.values),
      predictions: p.values,
      squaredErrors: squaredErrors(truth, p.values),
    };
  }
  const names = [...model.labels];
  const index = new Map(names.map((l, i) => [l, i]));
  const yTrue = rows.map((r) => {
    const text = categoryText(r.label as string | number | boolean);
    if (!index.has(text)) {
      index.set(text, names.length);
      names.push(text);
    }
    return index.get(text)!;
  });
  const metrics = classificationMetrics(yTrue, p.predicted, names, { values: p.proba, labels: model.labels });
  return { task: 'classification', metrics, predicted: p.predicted, correct: yTrue.map((y, i) => y === p.predicted[i]) };
}
