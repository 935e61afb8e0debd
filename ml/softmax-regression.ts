/**
 * Multinomial logistic regression over hashed sparse features. Weights are feature-major
 * (weights[j * C + c] for feature j, column c) so a sparse row reads C contiguous floats per feature.
 * C, the number of columns (bias.length), is K for K >= 3 labels; two labels have one column (binary
 * logistic regression: p(labels[1]) = sigmoid(z)), or two in models trained before that (softmax
 * over K = 2), which still predict as they did.
 */
import type { FeaturizerOptions } from './hashing-vectorizer.ts';
import type { CsrMatrix } from './sparse.ts';

export interface LinearModel {
  labels: string[];
  featurizer: FeaturizerOptions;
  /** buckets x C, feature-major. */
  weights: Float32Array;
  /** C biases. */
  bias: Float32Array;
  /** Per-bucket IDF weights learnt from the training rows, when featurizer.idf. */
  idf?: Float32Array;
}

/** Columns of the weight matrix for K labels: one for a binary problem, else K. */
export function weightColumns(K: number): number {
  return K === 2 ? 1 : K;
}

/** 1 / (1 + e^-z), computed without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Writes the class probabilities of row `r` into `out` (length K: 2 when bias has one column);
 * returns nothing.
 */
export function rowProbabilities(weights: Float32Array, bias: Float32Array, x: CsrMatrix, r: number, out: Float64Array): void {
  const K = bias.length;
  if (K === 1) {
    let z = bias[0];
    const end = x.indptr[r + 1];
    for (let p = x.indptr[r]; p < end; p++) z += x.values[p] * weights[x.indices[p]];
    const p1 = sigmoid(z);
    out[0] = 1 - p1;
    out[1] = p1;
    return;
  }
  for (let k = 0; k < K; k++) out[k] = bias[k];
  const end = x.indptr[r + 1];
  for (let p = x.indptr[r]; p < end; p++) {
    const base = x.indices[p] * K;
    const xv = x.values[p];
    for (let k = 0; k < K; k++) out[k] += xv * weights[base + k];
  }
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (out[k] > max) max = out[k];
  let sum = 0;
  for (let k = 0; k < K; k++) {
    out[k] = Math.exp(out[k] - max);
    sum += out[k];
  }
  for (let k = 0; k < K; k++) out[k] /= sum;
}

/** Row-major probabilities, rows x K. */
export function predictProba(model: LinearModel, x: CsrMatrix): Float64Array {
  const K = model.labels.length;
  const out = new Float64Array(x.rows * K);
  const row = new Float64Array(K);
  for (let r = 0; r < x.rows; r++) {
    rowProbabilities(model.weights, model.bias, x, r, row);
    out.set(row, r * K);
  }
  return out;
}

/** Index of the most probable class per row (the first one on ties). */
export function argmaxRows(proba: Float64Array, K: number): Int32Array {
  const rows = proba.length / K;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (proba[r * K + k] > proba[r * K + best]) best = k;
    out[r] = best;
  }
  return out;
}

/**
 * Mean (optionally class-weighted) cross-entropy plus (l2 / 2) * ||W||^2, and its gradient with
 * respect to weights and bias: the reference the trainer's sparse updates are checked against.
 */
export function lossAndGradient(
  weights: Float32Array,
  bias: Float32Array,
  x: CsrMatrix,
  y: Int32Array,
  l2 = 0,
  sampleWeights?: Float64Array,
): { loss: number; gradWeights: Float64Array; gradBias: Float64Array } {
  const K = bias.length;
  const gradWeights = new Float64Array(weights.length);
  const gradBias = new Float64Array(K);
  const p = new Float64Array(K);
  let loss = 0;
  const n = x.rows;
  for (let r = 0; r < n; r++) {
    rowProbabilities(weights, bias, x, r, p);
    const w = sampleWeights ? sampleWeights[r] : 1;
    loss -= w * Math.log(Math.max(p[y[r]], 1e-300));
    for (let k = 0; k < K; k++) {
      const d = (w * (p[k] - (k === y[r] ? 1 : 0))) / n;
      gradBias[k] += d;
      for (let q = x.indptr[r]; q < x.indptr[r + 1]; q++) gradWeights[x.indices[q] * K + k] += x.values[q] * d;
    }
  }
  loss /= n;
  if (l2 > 0) {
    let sq = 0;
    for (let i = 0; i < weights.length; i++) {
      sq += weights[i] * weights[i];
      gradWeights[i] += l2 * weights[i];
    }
    loss += (l2 / 2) * sq;
  }
  return { loss, gradWeights, gradBias };
}
