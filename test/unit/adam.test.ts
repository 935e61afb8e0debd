import { describe, expect, it } from 'vitest';
import { Adam } from '../../ml/adam.ts';
import { MlError } from '../../ml/errors.ts';
import { resolveFeaturizerOptions } from '../../ml/hashing-vectorizer.ts';
import { lossAndGradient } from '../../ml/softmax-regression.ts';
import type { CsrMatrix } from '../../ml/sparse.ts';
import { SparseBatchTrainer } from '../../ml/sparse-batch-trainer.ts';
import { initialTrainingState, type TrainingState } from '../../ml/train.ts';
import { resolveTrainOptions } from '../../ml/train-options.ts';

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

describe("the trainer's inlined Adam step", () => {
  const options = resolveTrainOptions({ learningRate: 0.1, l2: 0.01, weightDecay: 0.001, batchSize: 2 });
  const featurizer = resolveFeaturizerOptions({ buckets: 4, idf: false, charNgrams: 'off' });
  // Two rows over 4 buckets; bucket 3 is never touched.
  const x: CsrMatrix = {
    rows: 2,
    cols: 4,
    indptr: Int32Array.from([0, 2, 3]),
    indices: Int32Array.from([0, 2, 1]),
    values: Float32Array.from([0.6, 0.8, 1]),
  };

  function oneStep(labels: string[], y: Int32Array, columns: number, init: (state: TrainingState) => void): TrainingState {
    const state = initialTrainingState(labels, featurizer, options, columns);
    init(state);
    const adamBias = new Adam(columns, options, { m: state.mBias, v: state.vBias, step: 0 });
    adamBias.beginStep();
    const trainer = new SparseBatchTrainer(new Float64Array(labels.length).fill(1), state, options);
    trainer.use(x, y);
    trainer.step(Int32Array.from([0, 1]), 0, 2, 1, adamBias);
    trainer.syncState();
    return state;
  }

  it('moves a binary weight from 0 by the learning rate against the gradient sign on the first step (hand-worked)', () => {
    // Row 0 (y = 1): p = sigmoid(0) = 0.5, dL/dz = -0.5; row 1 (y = 0): dL/dz = +0.5; batch mean halves them.
    // Bucket 0: g = 0.6 * -0.25 = -0.15; first Adam step: m-hat = g, v-hat = g^2, so w = 0.1 * 0.15 / (0.15 + 1e-8).
    const state = oneStep(['ham', 'spam'], Int32Array.from([1, 0]), 1, () => {});
    const w = (j: number): number => state.params[j * 3];
    expect(w(0)).toBeCloseTo(0.1, 6);
    expect(w(2)).toBeCloseTo(0.1, 6);
    expect(w(1)).toBeCloseTo(-0.1, 6);
    expect(w(3)).toBe(0);
    expect(state.params[0 * 3 + 1]).toBeCloseTo(0.1 * -0.15, 7); // m
    expect(state.params[0 * 3 + 2]).toBeCloseTo(0.001 * 0.15 * 0.15, 9); // v
  });

  it('equals Adam.update on the touched coordinates, softmax path, from non-zero weights and moments', () => {
    const K = 3;
    const labels = ['a', 'b', 'c'];
    const y = Int32Array.from([2, 0]);
    const weights = Float32Array.from({ length: 4 * K }, (_, i) => Math.sin(i + 1) * 0.3);
    const m = Float32Array.from({ length: 4 * K }, (_, i) => Math.cos(i) * 0.01);
    const v = Float32Array.from({ length: 4 * K }, (_, i) => 0.001 + i * 1e-4);
    const bias = Float32Array.from([0.1, -0.2, 0.05]);
    const state = oneStep(labels, y, K, (s) => {
      for (let j = 0; j < 4; j++) {
        for (let k = 0; k < K; k++) {
          s.params[j * 3 * K + k] = weights[j * K + k];
          s.params[j * 3 * K + K + k] = m[j * K + k];
          s.params[j * 3 * K + 2 * K + k] = v[j * K + k];
        }
      }
      s.bias.set(bias);
    });
    // Reference: the batch's mean gradient (no l2 here: the trainer adds it on touched coordinates), then Adam.update.
    const { gradWeights } = lossAndGradient(weights, bias, x, y);
    const expectedW = Float32Array.from(weights);
    const adam = new Adam(4 * K, options, { m: Float32Array.from(m), v: Float32Array.from(v), step: 0 });
    adam.beginStep();
    for (const j of [0, 1, 2])
      for (let k = 0; k < K; k++) adam.update(expectedW, j * K + k, gradWeights[j * K + k] + options.l2 * weights[j * K + k]);
    for (let j = 0; j < 4; j++) {
      for (let k = 0; k < K; k++) {
        expect(state.params[j * 3 * K + k]).toBeCloseTo(expectedW[j * K + k], 6);
        expect(state.params[j * 3 * K + K + k]).toBeCloseTo(adam.m[j * K + k], 7);
        expect(state.params[j * 3 * K + 2 * K + k]).toBeCloseTo(adam.v[j * K + k], 9);
      }
    }
    // Bucket 3 is untouched: weights and moments stay exactly as they were.
    expect(state.params[3 * 3 * K]).toBe(weights[3 * K]);
    expect(state.params[3 * 3 * K + K]).toBe(m[3 * K]);
  });
});
