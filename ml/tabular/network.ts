/**
 * The tabular network: dense layers with ReLU between them (none after the last), so `hidden: []` is
 * a linear model. All parameters live in one Float32Array, layer by layer: the weights of layer l
 * (in x out, input-major: w[i * out + j]) then its out biases. The forward and backward passes run in
 * float64 on one row at a time, in a fixed order, so the same parameters and rows give the same bits.
 *
 * Losses per row (o: the outputs; regression targets are standardised): squared error (o - t)^2,
 * Huber with threshold delta, or softmax cross-entropy -log p_y.
 */
import type { Rng } from '../rng.ts';

export type TabularLoss = 'mse' | 'huber' | 'cross-entropy';

/** Layer sizes: [inputs, ...hidden, outputs]. */
export function layerSizes(inputs: number, hidden: readonly number[], outputs: number): number[] {
  return [inputs, ...hidden, outputs];
}

export function parameterCount(sizes: readonly number[]): number {
  let n = 0;
  for (let l = 0; l + 1 < sizes.length; l++) n += sizes[l] * sizes[l + 1] + sizes[l + 1];
  return n;
}

/** A standard normal draw (Box-Muller; two uniforms per draw, so the stream is simple to follow). */
function gaussian(rng: Rng): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** He initialisation (std sqrt(2 / fan-in)) before a ReLU, sqrt(1 / fan-in) for the output layer; biases 0. */
export function initialParameters(sizes: readonly number[], rng: Rng): Float32Array {
  const params = new Float32Array(parameterCount(sizes));
  let at = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l];
    const std = Math.sqrt((l + 2 < sizes.length ? 2 : 1) / Math.max(1, fanIn));
    const weights = fanIn * sizes[l + 1];
    for (let i = 0; i < weights; i++) params[at + i] = std * gaussian(rng);
    at += weights + sizes[l + 1];
  }
  return params;
}

/** Scratch buffers of one network shape; not shared between concurrent passes. */
export class Network {
  readonly sizes: number[];
  /** Activations per layer (0: the input row); ReLU already applied to hidden layers. */
  private readonly acts: Float64Array[];
  private readonly deltas: Float64Array[];
  private readonly offsets: number[];

  constructor(sizes: readonly number[]) {
    this.sizes = [...sizes];
    this.acts = sizes.map((s) => new Float64Array(s));
    this.deltas = sizes.map((s) => new Float64Array(s));
    this.offsets = [];
    let at = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.offsets.push(at);
      at += sizes[l] * sizes[l + 1] + sizes[l + 1];
    }
  }

  /** Runs row `r` of the row-major matrix `x` forward; returns the output layer (valid until the next call). */
  forward(params: Float32Array, x: Float32Array, r: number): Float64Array {
    const L = this.sizes.length - 1;
    const input = this.acts[0];
    const width = this.sizes[0];
    for (let i = 0; i < width; i++) input[i] = x[r * width + i];
    for (let l = 0; l < L; l++) {
      const inSize = this.sizes[l];
      const outSize = this.sizes[l + 1];
      const from = this.acts[l];
      const to = this.acts[l + 1];
      const w = this.offsets[l];
      const b = w + inSize * outSize;
      for (let j = 0; j < outSize; j++) to[j] = params[b + j];
      for (let i = 0; i < inSize; i++) {
        const a = from[i];
        if (a === 0) continue;
        const row = w + i * outSize;
        for (let j = 0; j < outSize; j++) to[j] += a * params[row + j];
      }
      if (l + 1 < L) for (let j = 0; j < outSize; j++) if (to[j] < 0) to[j] = 0;
    }
    return this.acts[L];
  }

  /**
   * After `forward`, adds scale * d(loss)/d(params) to `grad`, given d(loss)/d(outputs) in `outGrad`.
   */
  backward(params: Float32Array, outGrad: ArrayLike<number>, scale: number, grad: Float64Array): void {
    const L = this.sizes.length - 1;
    const top = this.deltas[L];
    for (let j = 0; j < this.sizes[L]; j++) top[j] = outGrad[j] * scale;
    for (let l = L - 1; l >= 0; l--) {
      const inSize = this.sizes[l];
      const outSize = this.sizes[l + 1];
      const from = this.acts[l];
      const delta = this.deltas[l + 1];
      const below = this.deltas[l];
      const w = this.offsets[l];
      const b = w + inSize * outSize;
      for (let j = 0; j < outSize; j++) grad[b + j] += delta[j];
      for (let i = 0; i < inSize; i++) {
        const a = from[i];
        const row = w + i * outSize;
        let back = 0;
        for (let j = 0; j < outSize; j++) {
          grad[row + j] += a * delta[j];
          back += params[row + j] * delta[j];
        }
        // The ReLU's derivative: 0 where the unit was off (its stored activation is 0).
        below[i] = l > 0 && a <= 0 ? 0 : back;
      }
    }
  }
}

/** The loss of one row and its gradient with respect to the outputs (written into `outGrad`). */
export function rowLoss(loss: TabularLoss, out: Float64Array, target: number, huberDelta: number, outGrad: Float64Array): number {
  if (loss === 'cross-entropy') {
    const K = out.length;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (out[k] > max) max = out[k];
    let sum = 0;
    for (let k = 0; k < K; k++) {
      outGrad[k] = Math.exp(out[k] - max);
      sum += outGrad[k];
    }
    for (let k = 0; k < K; k++) outGrad[k] /= sum;
    const p = outGrad[target];
    outGrad[target] -= 1;
    return -Math.log(Math.max(p, 1e-300));
  }
  const r = out[0] - target;
  if (loss === 'huber' && Math.abs(r) > huberDelta) {
    outGrad[0] = r > 0 ? huberDelta : -huberDelta;
    return huberDelta * (Math.abs(r) - 0.5 * huberDelta);
  }
  if (loss === 'huber') {
    outGrad[0] = r;
    return 0.5 * r * r;
  }
  outGrad[0] = 2 * r;
  return r * r;
}

/** Softmax of `out` into `proba`. */
export function softmaxInto(out: ArrayLike<number>, proba: Float64Array, at = 0): void {
  const K = out.length;
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (out[k] > max) max = out[k];
  let sum = 0;
  for (let k = 0; k < K; k++) {
    proba[at + k] = Math.exp(out[k] - max);
    sum += proba[at + k];
  }
  for (let k = 0; k < K; k++) proba[at + k] /= sum;
}
