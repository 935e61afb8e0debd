/**
 * One mini-batch of forward pass, sparse gradient and lazy Adam update over the interleaved
 * training parameters (see TrainingState.params: per feature j, its C weights, then their C first
 * moments, then their C second moments, contiguous). Two labels train one weight column (binary
 * logistic regression); K >= 3 labels train K (softmax). Only the features a batch touches are read
 * or written. The Adam update is inlined for speed; test/unit/adam.test.ts checks that a step of
 * this path equals Adam.update on the touched coordinates.
 */
import type { Adam } from './adam.ts';
import type { CsrMatrix } from './sparse.ts';
import type { TrainOptions } from './train-options.ts';
import type { TrainingState } from './train.ts';

const MAX_ROW_LOSS = -Math.log(1e-15);

/**
 * A plain synchronous class so V8 optimizes the hot loops (they ran ~5x slower inside the async training function).
 */
export class SparseBatchTrainer {
  /** Weight columns: 1 (binary) or K. */
  private readonly C: number;
  private readonly stride: number;
  private readonly stamp: Int32Array;
  private readonly slot: Int32Array;
  private touched = new Int32Array(4096);
  private grad: Float64Array;
  private readonly gradBias: Float64Array;
  private readonly z: Float64Array;
  private batchId = 0;
  /** Set when an update produced a weight that is not finite. */
  nonFinite = false;

  private x: CsrMatrix = { rows: 0, cols: 0, indptr: new Int32Array(1), indices: new Int32Array(0), values: new Float32Array(0) };
  private y: Int32Array = new Int32Array(0);

  constructor(
    private readonly classWeight: Float64Array,
    private readonly state: TrainingState,
    private readonly options: TrainOptions,
  ) {
    this.C = state.columns;
    this.stride = 3 * this.C;
    this.stamp = new Int32Array(state.featurizer.buckets).fill(-1);
    this.slot = new Int32Array(state.featurizer.buckets);
    this.grad = new Float64Array(4096 * this.C);
    this.gradBias = new Float64Array(this.C);
    this.z = new Float64Array(Math.max(2, this.C));
  }

  /** The rows that `step` and `meanLoss` index into from now on. */
  use(x: CsrMatrix, y: Int32Array): void {
    this.x = x;
    this.y = y;
  }

  /**
   * Writes into this.z the d(loss)/d(score) of row r for each column, scaled by `scale`, and returns
   * the row's loss (before class weight). Binary: one score z, p = sigmoid(z), loss = softplus(-z)
   * for class 1 and softplus(z) for class 0.
   */
  private rowGradient(r: number, scale: number): number {
    const { C, stride, x, y, z } = this;
    const params = this.state.params;
    const bias = this.state.bias;
    const { indptr, indices, values } = x;
    const rowEnd = indptr[r + 1];
    const yr = y[r];
    if (C === 1) {
      let s = bias[0];
      for (let q = indptr[r]; q < rowEnd; q++) s += values[q] * params[indices[q] * 3];
      // Stable: p = sigmoid(s), loss = log(1 + e^-s) (class 1) or log(1 + e^s) (class 0).
      const e = Math.exp(-Math.abs(s));
      const p = s >= 0 ? 1 / (1 + e) : e / (1 + e);
      const margin = yr === 1 ? s : -s;
      const loss = Math.max(-margin, 0) + Math.log1p(e);
      z[0] = scale * (p - yr);
      return loss;
    }
    for (let c = 0; c < C; c++) z[c] = bias[c];
    for (let q = indptr[r]; q < rowEnd; q++) {
      const base = indices[q] * stride;
      const xv = values[q];
      for (let c = 0; c < C; c++) z[c] += xv * params[base + c];
    }
    let max = -Infinity;
    for (let c = 0; c < C; c++) if (z[c] > max) max = z[c];
    let sum = 0;
    for (let c = 0; c < C; c++) {
      z[c] = Math.exp(z[c] - max);
      sum += z[c];
    }
    // Unclamped: a true class whose probability underflows to 0 makes the loss infinite (divergence).
    const loss = -Math.log(z[yr] / sum);
    const inv = 1 / sum;
    for (let c = 0; c < C; c++) z[c] = scale * (z[c] * inv - (c === yr ? 1 : 0));
    return loss;
  }

  /** Applies one Adam step (number `step`, already begun on `adamBias`); returns the batch's summed loss. */
  step(order: Int32Array, start: number, end: number, step: number, adamBias: Adam): number {
    const { C, stride, stamp, slot, gradBias, z, x, y, classWeight } = this;
    const params = this.state.params;
    const { indptr, indices, values } = x;
    const batch = end - start;
    const batchId = ++this.batchId;
    let touched = this.touched;
    let grad = this.grad;
    let nTouched = 0;
    let batchLoss = 0;
    gradBias.fill(0);
    for (let b = start; b < end; b++) {
      const r = order[b];
      const cw = classWeight[y[r]];
      batchLoss += cw * this.rowGradient(r, cw / batch);
      for (let c = 0; c < C; c++) gradBias[c] += z[c];
      const rowEnd = indptr[r + 1];
      for (let q = indptr[r]; q < rowEnd; q++) {
        const j = indices[q];
        if (stamp[j] !== batchId) {
          stamp[j] = batchId;
          if (nTouched === touched.length) {
            const t2 = new Int32Array(touched.length * 2);
            t2.set(touched);
            touched = this.touched = t2;
            const g2 = new Float64Array(grad.length * 2);
            g2.set(grad);
            grad = this.grad = g2;
          }
          slot[j] = nTouched;
          touched[nTouched] = j;
          const base = nTouched * C;
          for (let c = 0; c < C; c++) grad[base + c] = 0;
          nTouched++;
        }
        const base = slot[j] * C;
        const xv = values[q];
        for (let c = 0; c < C; c++) grad[base + c] += xv * z[c];
      }
    }

    // Adam.update inlined over the touched coordinates only (lazy Adam); w, m and v of a feature
    // share cache lines.
    const { l2, beta1, beta2, learningRate, epsilon, weightDecay } = this.options;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    // lr * m-hat / (sqrt(v-hat) + eps) with the bias corrections folded into two constants.
    const stepSize = learningRate / (1 - Math.pow(beta1, step));
    const sqrtInvC2 = 1 / Math.sqrt(1 - Math.pow(beta2, step));
    const decay = learningRate * weightDecay;
    let finite = true;
    for (let s = 0; s < nTouched; s++) {
      const wBase = touched[s] * stride;
      const gBase = s * C;
      for (let c = 0; c < C; c++) {
        const wi = wBase + c;
        const mi = wi + C;
        const vi = mi + C;
        const w = params[wi];
        const g = grad[gBase + c] + l2 * w;
        const m = beta1 * params[mi] + oneMinusBeta1 * g;
        const v = beta2 * params[vi] + oneMinusBeta2 * g * g;
        params[mi] = m;
        params[vi] = v;
        const next = w - (stepSize * m) / (Math.sqrt(v) * sqrtInvC2 + epsilon) - decay * w;
        params[wi] = next;
        if (next - next !== 0) finite = false;
      }
    }
    if (!finite) this.nonFinite = true;
    const bias = this.state.bias;
    for (let c = 0; c < C; c++) adamBias.update(bias, c, gradBias[c]);
    return batchLoss;
  }

  /** Mean loss of `rows` (validation), unweighted. */
  meanLoss(rows: Int32Array): number {
    let loss = 0;
    // Clamped at -ln(1e-15) per row, as a log loss with probabilities clipped to 1e-15.
    for (let i = 0; i < rows.length; i++) loss += Math.min(this.rowGradient(rows[i], 0), MAX_ROW_LOSS);
    return loss / rows.length;
  }
}
