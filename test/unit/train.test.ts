import { describe, expect, it } from 'vitest';
import { fitClassifier, evaluateClassifier } from '../../ml/classifier.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../ml/checkpoint.ts';
import { hashTexts, resolveFeaturizerOptions } from '../../ml/hashing-vectorizer.ts';
import { encodeTrainingLabels } from '../../ml/labelled-data.ts';
import { deflateRawSync } from 'node:zlib';
import { encodeEnvelope } from '../../ml/binary-envelope.ts';
import { argmaxRows, lossAndGradient, predictProba } from '../../ml/softmax-regression.ts';
import { trainSoftmax, type TrainingState } from '../../ml/train.ts';
import { MlError } from '../../ml/errors.ts';
import { syntheticTexts } from '../support/synthetic.ts';

describe('softmax regression gradient', () => {
  it('matches finite differences', () => {
    const rows = syntheticTexts(12, ['a', 'b', 'c'], 3);
    const featurizer = resolveFeaturizerOptions({ buckets: 64 });
    const x = hashTexts(
      rows.map((r) => r.text),
      featurizer,
    );
    const { y } = encodeTrainingLabels(rows);
    const K = 3;
    const weights = new Float32Array(64 * K).map((_, i) => Math.sin(i) * 0.3);
    const bias = new Float32Array([0.1, -0.2, 0.05]);
    const l2 = 0.01;
    const { gradWeights, gradBias } = lossAndGradient(weights, bias, x, y, l2);
    const h = 1e-3;
    const lossAt = (w: Float32Array, b: Float32Array): number => lossAndGradient(w, b, x, y, l2).loss;
    for (const i of [0, 5, 17, 33, 100, 150, 191]) {
      const plus = Float32Array.from(weights);
      const minus = Float32Array.from(weights);
      plus[i] += h;
      minus[i] -= h;
      const numeric = (lossAt(plus, bias) - lossAt(minus, bias)) / (plus[i] - minus[i]);
      expect(Math.abs(numeric - gradWeights[i])).toBeLessThan(1e-4);
    }
    for (let k = 0; k < K; k++) {
      const plus = Float32Array.from(bias);
      const minus = Float32Array.from(bias);
      plus[k] += h;
      minus[k] -= h;
      const numeric = (lossAt(weights, plus) - lossAt(weights, minus)) / (plus[k] - minus[k]);
      expect(Math.abs(numeric - gradBias[k])).toBeLessThan(1e-4);
    }
  });
});

describe('training', () => {
  const rows = syntheticTexts(400, ['alpha', 'beta', 'gamma'], 11);
  const test = syntheticTexts(200, ['alpha', 'beta', 'gamma'], 12);

  it('learns a separable signal', async () => {
    const fit = await fitClassifier(rows, { featurizer: { buckets: 4096 }, train: { epochs: 10 } });
    const e = evaluateClassifier(fit.model, test);
    expect(e.metrics.accuracy).toBeGreaterThan(0.95);
    expect(fit.model.labels).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('is bit-identical for the same data, options and seed, and differs for another seed', async () => {
    const a = await fitClassifier(rows, { featurizer: { buckets: 4096 }, train: { epochs: 3, seed: 5 } });
    const b = await fitClassifier(rows, { featurizer: { buckets: 4096 }, train: { epochs: 3, seed: 5 } });
    const c = await fitClassifier(rows, { featurizer: { buckets: 4096 }, train: { epochs: 3, seed: 6 } });
    expect(Buffer.from(a.model.weights.buffer).equals(Buffer.from(b.model.weights.buffer))).toBe(true);
    expect(Buffer.from(a.model.weights.buffer).equals(Buffer.from(c.model.weights.buffer))).toBe(false);
  });

  it('resumed from a checkpoint ends with the same weights as an uninterrupted run', async () => {
    const options = { epochs: 6, seed: 9, earlyStopping: false };
    const straight = await fitClassifier(rows, { featurizer: { buckets: 4096 }, train: options });

    let saved: Buffer | null = null;
    const interrupted = fitClassifier(rows, {
      featurizer: { buckets: 4096 },
      train: options,
      hooks: {
        onEpoch: (state: TrainingState) => {
          if (state.epoch === 2) {
            saved = encodeCheckpoint(state);
            throw new Error('simulated crash after epoch 2');
          }
        },
      },
    });
    await expect(interrupted).rejects.toThrow('simulated crash');
    expect(saved).not.toBeNull();
    const state = decodeCheckpoint(saved!);
    expect(state.epoch).toBe(2);
    const resumed = await fitClassifier(rows, { featurizer: { buckets: 4096 }, train: options, resumeFrom: state });
    expect(resumed.state.epoch).toBe(6);
    expect(Array.from(resumed.model.weights)).toEqual(Array.from(straight.model.weights));
    expect(Array.from(resumed.model.bias)).toEqual(Array.from(straight.model.bias));
  });

  it('stops early when validation loss stops improving', async () => {
    const fit = await fitClassifier(rows, { featurizer: { buckets: 4096 }, train: { epochs: 200, patience: 1, tolerance: 0.01 } });
    expect(fit.state.stoppedEarly).toBe(true);
    expect(fit.state.epoch).toBeLessThan(200);
  });

  it('reports divergence as a typed error', async () => {
    const err = await fitClassifier(rows, { featurizer: { buckets: 4096 }, train: { learningRate: 1e6, epochs: 3 } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MlError);
    expect((err as MlError).type).toBe('TrainingDiverged');
    expect((err as MlError).message).toMatch(/diverged/);
  });

  it('rejects bad training sets with typed errors', async () => {
    const one = rows.map((r) => ({ ...r, label: 'same' }));
    await expect(fitClassifier(one)).rejects.toMatchObject({
      type: 'InvalidTrainingData',
      message: expect.stringMatching(/at least 2 distinct labels/),
    });
    await expect(fitClassifier(rows.slice(0, 3))).rejects.toMatchObject({
      type: 'InvalidTrainingData',
      message: expect.stringMatching(/at least 5 rows/),
    });
    await expect(fitClassifier([...rows.slice(0, 10), { text: '  ', label: 'alpha' }])).rejects.toMatchObject({
      type: 'InvalidTrainingData',
      message: expect.stringMatching(/row 11: text is empty/),
    });
    await expect(
      fitClassifier([...rows.slice(0, 10), { text: 'x', label: 3 } as unknown as { text: string; label: string }]),
    ).rejects.toMatchObject({ message: expect.stringMatching(/label is missing or not a string/) });
  });

  it('rejects a test set with labels the model never saw, unless asked to score them as errors', async () => {
    const fit = await fitClassifier(rows, { featurizer: { buckets: 4096 }, train: { epochs: 2 } });
    const withUnknown = [...test.slice(0, 5), { text: 'alphaword1', label: 'delta' }];
    expect(() => evaluateClassifier(fit.model, withUnknown)).toThrow(/labels the model never saw: "delta"/);
    const e = evaluateClassifier(fit.model, withUnknown, { allowUnknownLabels: true });
    expect(e.correct[5]).toBe(false);
    expect(e.metrics.perClass.delta.recall).toBe(0);
  });

  it('handles dozens of labels', async () => {
    const labels = Array.from({ length: 30 }, (_, i) => `label${i}`);
    const many = syntheticTexts(1500, labels, 21, 0.7);
    const fit = await fitClassifier(many, { featurizer: { buckets: 8192 }, train: { epochs: 8 } });
    const e = evaluateClassifier(fit.model, syntheticTexts(300, labels, 22, 0.7));
    expect(fit.model.labels).toHaveLength(30);
    expect(e.metrics.accuracy).toBeGreaterThan(0.9);
  });

  it('yields the event loop between mini-batches once its time slice is used (here: every batch)', async () => {
    // Behaviour, not timing: with a zero time slice the trainer yields after every mini-batch, so
    // callbacks queued during training (here a chain of setImmediate) run between its batches.
    const rows = syntheticTexts(40, ['a', 'b'], 5);
    const featurizer = resolveFeaturizerOptions({ buckets: 1024 });
    const x = hashTexts(
      rows.map((r) => r.text),
      featurizer,
    );
    const { labels, y } = encodeTrainingLabels(rows);
    let yields = 0;
    let ticks = 0;
    let done = false;
    const tick = (): void => {
      ticks++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    await trainSoftmax({
      x,
      y,
      labels,
      featurizer,
      options: { epochs: 3, batchSize: 4, earlyStopping: false },
      hooks: { yieldEveryMs: 0, onYield: () => yields++ },
    });
    done = true;
    expect(yields).toBe(3 * Math.ceil(40 / 4));
    // Another callback ran at (about) every yield, not only after training.
    expect(ticks).toBeGreaterThanOrEqual(yields - 1);
  });
});

describe('binary training', () => {
  const rows = syntheticTexts(300, ['ham', 'spam'], 11);
  const featurizer = resolveFeaturizerOptions({ buckets: 4096, idf: false, charNgrams: 'off' });
  const x = hashTexts(
    rows.map((r) => r.text),
    featurizer,
  );
  const { labels, y } = encodeTrainingLabels(rows);

  it('trains one weight column, giving the same predictions as the two-column softmax path', async () => {
    const options = { epochs: 5, seed: 3 };
    const single = await trainSoftmax({ x, y, labels, featurizer, options });
    const softmax = await trainSoftmax({ x, y, labels, featurizer, options, binaryAsSoftmax: true });
    expect(single.model.bias.length).toBe(1);
    expect(single.model.weights.length).toBe(4096);
    expect(softmax.model.weights.length).toBe(4096 * 2);
    const a = argmaxRows(predictProba(single.model, x), 2);
    const b = argmaxRows(predictProba(softmax.model, x), 2);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).toEqual(Array.from(y));
  });

  it('resumes a format-1 checkpoint (separate weights and moments) as the two-column softmax it was', async () => {
    const options = { epochs: 4, seed: 2, earlyStopping: false };
    const straight = await trainSoftmax({ x, y, labels, featurizer, options, binaryAsSoftmax: true });
    let v1: Buffer | null = null;
    await trainSoftmax({
      x,
      y,
      labels,
      featurizer,
      options,
      binaryAsSoftmax: true,
      hooks: {
        onEpoch: (state) => {
          if (state.epoch !== 2) return;
          // Write it as format 1 did: weights, bias, m, v, mBias, vBias, buckets x K each, no `columns`.
          const K = 2;
          const B = featurizer.buckets;
          const [w, m, v] = [0, 1, 2].map((part) =>
            Float32Array.from({ length: B * K }, (_, i) => state.params[Math.floor(i / K) * 3 * K + part * K + (i % K)]),
          );
          const { params: _p, bias, mBias, vBias, columns: _c, ...header } = state;
          v1 = deflateRawSync(encodeEnvelope('NSCK', 1, { ...header, featurizer: { ...featurizer } }, [w, bias, m, v, mBias, vBias]));
        },
      },
    });
    const resumed = decodeCheckpoint(v1!);
    expect(resumed.columns).toBe(2);
    const rest = await trainSoftmax({ x, y, labels, featurizer, options, resumeFrom: resumed });
    expect(Array.from(rest.model.weights)).toEqual(Array.from(straight.model.weights));
  });
});
