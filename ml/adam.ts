/**
 * Adam (Kingma & Ba, 2015) with bias correction, optional decoupled weight decay (AdamW), and
 * per-coordinate updates so a sparse ("lazy") trainer touches only the coordinates a mini-batch
 * uses. The step count is global: a coordinate skipped for some steps keeps stale moments, which is
 * the usual lazy-Adam trade for speed on hashed text features.
 */
import { MlError } from './errors.ts';

export interface AdamOptions {
  /** Step size alpha. Default 0.001 (the paper's). */
  learningRate: number;
  /** Decay of the first-moment estimate. Default 0.9. */
  beta1: number;
  /** Decay of the second-moment estimate. Default 0.999. */
  beta2: number;
  /** Added to sqrt(v-hat) for numerical stability. Default 1e-8. */
  epsilon: number;
  /** Decoupled weight decay: theta -= learningRate * weightDecay * theta each update. Default 0. */
  weightDecay: number;
}

export const defaultAdamOptions: AdamOptions = {
  learningRate: 0.001,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
};

export function checkAdamOptions(o: AdamOptions): void {
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate)) {
    throw new MlError('InvalidOptions', `learningRate must be a finite number > 0, got ${o.learningRate}`);
  }
  if (!(o.beta1 >= 0 && o.beta1 < 1)) throw new MlError('InvalidOptions', `beta1 must be in [0, 1), got ${o.beta1}`);
  if (!(o.beta2 >= 0 && o.beta2 < 1)) throw new MlError('InvalidOptions', `beta2 must be in [0, 1), got ${o.beta2}`);
  if (!(o.epsilon > 0)) throw new MlError('InvalidOptions', `epsilon must be > 0, got ${o.epsilon}`);
  if (!(o.weightDecay >= 0) || !Number.isFinite(o.weightDecay)) {
    throw new MlError('InvalidOptions', `weightDecay must be a finite number >= 0, got ${o.weightDecay}`);
  }
}

export interface AdamState {
  m: Float32Array;
  v: Float32Array;
  step: number;
}

export class Adam {
  readonly options: AdamOptions;
  readonly m: Float32Array;
  readonly v: Float32Array;
  step: number;
  private c1 = 1;
  private c2 = 1;

  constructor(size: number, options: Partial<AdamOptions> = {}, state?: AdamState) {
    this.options = { ...defaultAdamOptions, ...options };
    checkAdamOptions(this.options);
    if (state) {
      if (state.m.length !== size || state.v.length !== size) {
        throw new MlError('InvalidOptions', `Adam state has ${state.m.length} moments, expected ${size}`);
      }
      this.m = state.m;
      this.v = state.v;
      this.step = state.step;
    } else {
      this.m = new Float32Array(size);
      this.v = new Float32Array(size);
      this.step = 0;
    }
    this.updateCorrections();
  }

  private updateCorrections(): void {
    this.c1 = 1 - Math.pow(this.options.beta1, this.step);
    this.c2 = 1 - Math.pow(this.options.beta2, this.step);
  }

  /** Starts a new step: every `update` until the next `beginStep` uses its bias correction. */
  beginStep(): void {
    this.step++;
    this.updateCorrections();
  }

  /** Applies gradient `g` to coordinate `i` of `params`. */
  update(params: Float32Array, i: number, g: number): void {
    const { beta1, beta2, learningRate, epsilon, weightDecay } = this.options;
    const m = beta1 * this.m[i] + (1 - beta1) * g;
    const v = beta2 * this.v[i] + (1 - beta2) * g * g;
    this.m[i] = m;
    this.v[i] = v;
    const mHat = m / this.c1;
    const vHat = v / this.c2;
    params[i] -= learningRate * (mHat / (Math.sqrt(vHat) + epsilon) + weightDecay * params[i]);
  }

  /** One dense step over all coordinates. */
  stepDense(params: Float32Array, grad: ArrayLike<number>): void {
    this.beginStep();
    for (let i = 0; i < params.length; i++) this.update(params, i, grad[i]);
  }

  getState(): AdamState {
    return { m: this.m, v: this.v, step: this.step };
  }
}
