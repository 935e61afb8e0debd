/**
 * One mini-batch of forward pass, sparse gradient and lazy Adam update over the interleaved
 * training parameters (see TrainingState.params: per feature j, its C weights, then their C first
 * moments, then their C second moments, contiguous). Two labels train one weight column (binary
 * logistic regression); K >= 3 labels train K (softmax). Only the features a batch touches are read
 * or written. The Adam update is inlined for speed; test/unit/adam.test.ts checks that a step of
 * this path equals Adam.update on the touched coordinates.
 *
 * Speed comes from memory locality (issue 22: cache misses, not arithmetic, were most of an epoch).
 * The trainer keeps a compact working copy of the parameters of the features its rows use, renumbered
 * most frequent first, so the hot features' weights and moments share a few hundred kilobytes
 * (a cache-sized block) instead of being scattered over buckets x 3C floats; each block of rows is
 * re-indexed once into those numbers. Adam updates the working copy; `syncState` writes it into
 * TrainingState.params (the training loop does before every hook and when it ends). The arithmetic and its order
 * (rows in batch order, features in row order, one coordinate's update independent of the others)
 * are unchanged by the renumbering: the weights are bit-identical.
 */
import type { Adam } from './adam.ts';
import type { CsrMatrix } from './sparse.ts';
import type { TrainOptions } from './train-options.ts';
import type { TrainingState } from './train.ts';

const MAX_ROW_LOSS = -Math.log(1e-15);

/**
 * A plain synchronous class so V8 optimizes the hot loops (they ran ~5x slower inside the async training function).
 * It owns state.params while it trains: a feature's weights and moments are read from the state
 * once, when a block of rows first uses the feature, and written back by `syncState`.
 */
export class SparseBatchTrainer {
  /** Weight columns: 1 (binary) or K. */
  private readonly C: number;
  private readonly stride: number;
  /** Bucket -> working id; -1 for a bucket no block has used yet (also a counter while renumbering). */
  private readonly idOf: Int32Array;
  /** Working id -> bucket. */
  private bucketOf = new Int32Array(0);
  /** The working copy: per working id, stride floats laid out as in state.params. */
  private work = new Float32Array(0);
  /** Working id -> its row in `grad` during a step; -1 when the batch has not touched it. */
  private slot = new Int32Array(0);
  /** Working ids in use. */
  private mapped = 0;
  /** Each block's feature indices as working ids, kept while the block lives. */
  private readonly renumbered = new WeakMap<Int32Array, Int32Array>();
  /** The working ids the current batch touched, in order of first touch; `nTouched` of them. */
  private touched = new Int32Array(4096);
  private nTouched = 0;
  private grad: Float64Array;
  private readonly gradBias: Float64Array;
  private readonly z: Float64Array;
  /** Set when an update produced a weight that is not finite. */
  nonFinite = false;

  private x: CsrMatrix = { rows: 0, cols: 0, indptr: new Int32Array(1), indices: new Int32Array(0), values: new Float32Array(0) };
  /** x.indices as working ids. */
  private ids: Int32Array = new Int32Array(0);
  private y: Int32Array = new Int32Array(0);

  constructor(
    private readonly classWeight: Float64Array,
    private readonly state: TrainingState,
    private readonly options: TrainOptions,
  ) {
    this.C = state.columns;
    this.stride = 3 * this.C;
    this.idOf = new Int32Array(state.featurizer.buckets).fill(-1);
    this.grad = new Float64Array(4096 * this.C);
    this.gradBias = new Float64Array(this.C);
    this.z = new Float64Array(Math.max(2, this.C));
  }

  /**
   * The rows that `step` and `meanLoss` index into from now on. A matrix is renumbered once and
   * remembered (by its indices array), so its arrays must not change while it is in use.
   */
  use(x: CsrMatrix, y: Int32Array): void {
    this.x = x;
    this.y = y;
    this.ids = this.renumber(x);
  }

  /**
   * x.indices as working ids. Buckets no earlier block used get new ids, most frequent in x first
   * (a counting sort on their counts; ties in order of first appearance), and their parameters are
   * copied from the state into the working copy. One pass over the bucket-indexed map (the costly,
   * cache-missing part) numbers them as first seen; a second, over compact arrays, reorders them.
   */
  private renumber(x: CsrMatrix): Int32Array {
    const cached = this.renumbered.get(x.indices);
    if (cached !== undefined) return cached;
    const { idOf } = this;
    const indices = x.indices;
    const nnz = x.indptr[x.rows];
    const base = this.mapped;
    const ids = new Int32Array(indices.length);
    // New buckets in order of first appearance (fresh) with their use counts.
    let fresh = new Int32Array(1024);
    let count = new Int32Array(1024);
    let nFresh = 0;
    for (let q = 0; q < nnz; q++) {
      const j = indices[q];
      let id = idOf[j];
      if (id < 0) {
        if (nFresh === fresh.length) {
          const f2 = new Int32Array(fresh.length * 2);
          f2.set(fresh);
          fresh = f2;
          const c2 = new Int32Array(count.length * 2);
          c2.set(count);
          count = c2;
        }
        id = base + nFresh;
        idOf[j] = id;
        fresh[nFresh++] = j;
      }
      if (id >= base) count[id - base]++;
      ids[q] = id;
    }
    if (nFresh > 0) {
      // Counting sort, descending count: rank[i] = final position of the i-th new bucket.
      let maxCount = 0;
      for (let i = 0; i < nFresh; i++) if (count[i] > maxCount) maxCount = count[i];
      const start = new Int32Array(maxCount + 1);
      for (let i = 0; i < nFresh; i++) start[maxCount - count[i]]++;
      for (let c = 0, at = 0; c <= maxCount; c++) {
        const n = start[c];
        start[c] = at;
        at += n;
      }
      const rank = new Int32Array(nFresh);
      for (let i = 0; i < nFresh; i++) rank[i] = start[maxCount - count[i]]++;
      for (let q = 0; q < nnz; q++) {
        const id = ids[q];
        if (id >= base) ids[q] = base + rank[id - base];
      }
      this.grow(base + nFresh);
      const { stride, work, bucketOf } = this;
      const params = this.state.params;
      for (let i = 0; i < nFresh; i++) {
        const j = fresh[i];
        const id = base + rank[i];
        idOf[j] = id;
        bucketOf[id] = j;
        const from = j * stride;
        const to = id * stride;
        for (let k = 0; k < stride; k++) work[to + k] = params[from + k];
      }
      this.mapped = base + nFresh;
    }
    this.renumbered.set(indices, ids);
    return ids;
  }

  /** Room for `n` working ids (at most one per bucket). */
  private grow(n: number): void {
    if (n <= this.bucketOf.length) return;
    const capacity = Math.min(this.idOf.length, Math.max(n, 2 * this.bucketOf.length));
    const bucketOf = new Int32Array(capacity);
    bucketOf.set(this.bucketOf);
    this.bucketOf = bucketOf;
    const work = new Float32Array(capacity * this.stride);
    work.set(this.work);
    this.work = work;
    const slot = new Int32Array(capacity).fill(-1);
    slot.set(this.slot);
    this.slot = slot;
  }

  /**
   * Writes into this.z the d(loss)/d(score) of row r for each column, scaled by `scale`, and returns
   * the row's loss (before class weight). Binary: one score z, p = sigmoid(z), loss = softplus(-z)
   * for class 1 and softplus(z) for class 0.
   */
  private rowGradient(r: number, scale: number): number {
    const { C, stride, ids, x, y, z, work } = this;
    const bias = this.state.bias;
    const { indptr, values } = x;
    const rowEnd = indptr[r + 1];
    const yr = y[r];
    if (C === 1) {
      let s = bias[0];
      for (let q = indptr[r]; q < rowEnd; q++) s += values[q] * work[ids[q] * 3];
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
      const base = ids[q] * stride;
      const xv = values[q];
      for (let c = 0; c < C; c++) z[c] += xv * work[base + c];
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

  /** Room for one more touched feature's gradient. */
  private growTouched(): void {
    const t2 = new Int32Array(this.touched.length * 2);
    t2.set(this.touched);
    this.touched = t2;
    const g2 = new Float64Array(this.grad.length * 2);
    g2.set(this.grad);
    this.grad = g2;
  }

  /** Applies one Adam step (number `step`, already begun on `adamBias`); returns the batch's summed loss. */
  step(order: Int32Array, start: number, end: number, step: number, adamBias: Adam): number {
    const batchLoss = this.C === 1 ? this.binaryGradient(order, start, end) : this.softmaxGradient(order, start, end);
    if (this.C === 1) this.binaryAdam(step);
    else this.softmaxAdam(step);
    const { C, gradBias } = this;
    const bias = this.state.bias;
    for (let c = 0; c < C; c++) adamBias.update(bias, c, gradBias[c]);
    return batchLoss;
  }

  /** Binary path: the batch's gradient into grad (one number per touched feature) and gradBias[0]. */
  private binaryGradient(order: Int32Array, start: number, end: number): number {
    const { slot, ids, x, y, classWeight, work } = this;
    const bias0 = this.state.bias[0];
    const { indptr, values } = x;
    const batch = end - start;
    let touched = this.touched;
    let grad = this.grad;
    let nTouched = 0;
    let batchLoss = 0;
    let gradBias = 0;
    for (let b = start; b < end; b++) {
      const r = order[b];
      const yr = y[r];
      const cw = classWeight[yr];
      const rowStart = indptr[r];
      const rowEnd = indptr[r + 1];
      // As rowGradient's binary case, inlined.
      let s = bias0;
      for (let q = rowStart; q < rowEnd; q++) s += values[q] * work[ids[q] * 3];
      const e = Math.exp(-Math.abs(s));
      const p = s >= 0 ? 1 / (1 + e) : e / (1 + e);
      const margin = yr === 1 ? s : -s;
      batchLoss += cw * (Math.max(-margin, 0) + Math.log1p(e));
      const zr = (cw / batch) * (p - yr);
      gradBias += zr;
      for (let q = rowStart; q < rowEnd; q++) {
        const id = ids[q];
        let at = slot[id];
        if (at < 0) {
          if (nTouched === touched.length) {
            this.growTouched();
            touched = this.touched;
            grad = this.grad;
          }
          at = nTouched++;
          slot[id] = at;
          touched[at] = id;
          grad[at] = 0;
        }
        grad[at] += values[q] * zr;
      }
    }
    this.gradBias[0] = gradBias;
    this.nTouched = nTouched;
    return batchLoss;
  }

  /** Softmax path: the batch's gradient into grad (C numbers per touched feature) and gradBias. */
  private softmaxGradient(order: Int32Array, start: number, end: number): number {
    const { C, slot, ids, gradBias, z, x, y, classWeight } = this;
    const { indptr, values } = x;
    const batch = end - start;
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
        const id = ids[q];
        let at = slot[id];
        if (at < 0) {
          if (nTouched === touched.length) {
            this.growTouched();
            touched = this.touched;
            grad = this.grad;
          }
          at = nTouched++;
          slot[id] = at;
          touched[at] = id;
          const base = at * C;
          for (let c = 0; c < C; c++) grad[base + c] = 0;
        }
        const base = at * C;
        const xv = values[q];
        for (let c = 0; c < C; c++) grad[base + c] += xv * z[c];
      }
    }
    this.nTouched = nTouched;
    return batchLoss;
  }

  /**
   * Adam.update inlined over the touched coordinates only (lazy Adam), binary path, on the working
   * copy. Clears the batch's slots.
   */
  private binaryAdam(step: number): void {
    const { touched, grad, slot, work, nTouched } = this;
    const { l2, beta1, beta2, learningRate, epsilon, weightDecay } = this.options;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    // lr * m-hat / (sqrt(v-hat) + eps) with the bias corrections folded into two constants.
    const stepSize = learningRate / (1 - Math.pow(beta1, step));
    const sqrtInvC2 = 1 / Math.sqrt(1 - Math.pow(beta2, step));
    const decay = learningRate * weightDecay;
    let finite = true;
    for (let s = 0; s < nTouched; s++) {
      const id = touched[s];
      slot[id] = -1;
      const wi = id * 3;
      const w = work[wi];
      const g = grad[s] + l2 * w;
      const m = beta1 * work[wi + 1] + oneMinusBeta1 * g;
      const v = beta2 * work[wi + 2] + oneMinusBeta2 * g * g;
      const next = w - (stepSize * m) / (Math.sqrt(v) * sqrtInvC2 + epsilon) - decay * w;
      work[wi] = next;
      work[wi + 1] = m;
      work[wi + 2] = v;
      if (next - next !== 0) finite = false;
    }
    if (!finite) this.nonFinite = true;
  }

  /** As binaryAdam, C columns a feature (w, m and v of a feature share cache lines). */
  private softmaxAdam(step: number): void {
    const { C, stride, touched, grad, slot, work, nTouched } = this;
    const { l2, beta1, beta2, learningRate, epsilon, weightDecay } = this.options;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    const stepSize = learningRate / (1 - Math.pow(beta1, step));
    const sqrtInvC2 = 1 / Math.sqrt(1 - Math.pow(beta2, step));
    const decay = learningRate * weightDecay;
    let finite = true;
    for (let s = 0; s < nTouched; s++) {
      const id = touched[s];
      slot[id] = -1;
      const wBase = id * stride;
      const gBase = s * C;
      for (let c = 0; c < C; c++) {
        const wi = wBase + c;
        const mi = wi + C;
        const vi = mi + C;
        const w = work[wi];
        const g = grad[gBase + c] + l2 * w;
        const m = beta1 * work[mi] + oneMinusBeta1 * g;
        const v = beta2 * work[vi] + oneMinusBeta2 * g * g;
        const next = w - (stepSize * m) / (Math.sqrt(v) * sqrtInvC2 + epsilon) - decay * w;
        work[wi] = next;
        work[mi] = m;
        work[vi] = v;
        if (next - next !== 0) finite = false;
      }
    }
    if (!finite) this.nonFinite = true;
  }

  /**
   * Writes the working copy into state.params (which `step` does not update): the trainer's owner
   * calls this before anything reads the state's weights or moments.
   */
  syncState(): void {
    const { stride, work, bucketOf, mapped } = this;
    const params = this.state.params;
    for (let id = 0; id < mapped; id++) {
      const from = id * stride;
      const to = bucketOf[id] * stride;
      for (let k = 0; k < stride; k++) params[to + k] = work[from + k];
    }
  }

  /** Mean loss of `rows` (validation), unweighted. */
  meanLoss(rows: Int32Array): number {
    let loss = 0;
    // Clamped at -ln(1e-15) per row, as a log loss with probabilities clipped to 1e-15.
    for (let i = 0; i < rows.length; i++) loss += Math.min(this.rowGradient(rows[i], 0), MAX_ROW_LOSS);
    return loss / rows.length;
  }
}
