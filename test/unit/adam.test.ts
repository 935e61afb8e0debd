import { describe, expect, it } from 'vitest';
import { Adam } from '../../activities/ml/adam.ts';
import { MlError } from '../../activities/ml/errors.ts';

describe('Adam', () => {
  it('first step matches the hand-worked update', () => {
    // t=1: m = 0.1 g, v = 0.001 g^2, m-hat = g, v-hat = g^2, so theta -= lr * g / (|g| + eps).
    const params = new Float32Array([1.0, -2.0]);
    const adam = new Adam(2, { learningRate: 0.1 });
    adam.stepDense(params, [0.5, -4]);
    expect(adam.m[0]).toBeCloseTo(0.05, 7);
    expect(adam.v[1]).toBeCloseTo(0.016, 7);
    expect(params[0]).toBeCloseTo(1.0 - 0.1 * (0.5 / (0.5 + 1e-8)), 6);
    expect(params[1]).toBeCloseTo(-2.0 + 0.1 * (4 / (4 + 1e-8)), 6);
  });

  it('second step matches the hand-worked update with bias correction', () => {
    const params = new Float32Array([0]);
    const adam = new Adam(1, { learningRate: 0.01, beta1: 0.9, beta2: 0.999 });
    adam.stepDense(params, [1]);
    adam.stepDense(params, [2]);
    // m1 = 0.1, v1 = 0.001; m2 = 0.09 + 0.2 = 0.29, v2 = 0.000999 + 0.004 = 0.004999
    const mHat = 0.29 / (1 - 0.81);
    const vHat = 0.004999 / (1 - 0.998001);
    const expected = -0.01 - 0.01 * (mHat / (Math.sqrt(vHat) + 1e-8));
    expect(params[0]).toBeCloseTo(expected, 6);
  });

  it('decoupled weight decay shrinks the parameter by lr * wd * theta', () => {
    const a = new Float32Array([3]);
    const b = new Float32Array([3]);
    new Adam(1, { learningRate: 0.1, weightDecay: 0 }).stepDense(a, [0]);
    new Adam(1, { learningRate: 0.1, weightDecay: 0.5 }).stepDense(b, [0]);
    expect(a[0]).toBe(3);
    expect(b[0]).toBeCloseTo(3 - 0.1 * 0.5 * 3, 6);
  });

  it('saves and restores its state exactly', () => {
    const grads = [
      [0.3, -0.1],
      [0.2, 0.4],
      [-0.5, 0.1],
      [0.05, 0.05],
    ];
    const straight = new Float32Array([0.5, 0.5]);
    const s = new Adam(2, { learningRate: 0.05 });
    for (const g of grads) s.stepDense(straight, g);

    const resumed = new Float32Array([0.5, 0.5]);
    const first = new Adam(2, { learningRate: 0.05 });
    for (const g of grads.slice(0, 2)) first.stepDense(resumed, g);
    const saved = first.getState();
    const second = new Adam(2, { learningRate: 0.05 }, { m: Float32Array.from(saved.m), v: Float32Array.from(saved.v), step: saved.step });
    for (const g of grads.slice(2)) second.stepDense(resumed, g);
    expect(Array.from(resumed)).toEqual(Array.from(straight));
    expect(second.step).toBe(4);
  });

  it('rejects bad options with a precise message', () => {
    expect(() => new Adam(1, { beta1: 1 })).toThrow(MlError);
    expect(() => new Adam(1, { learningRate: -1 })).toThrow(/learningRate must be a finite number > 0/);
  });
});
