import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../ml/checkpoint.ts';
import { evaluateClassifier, fitClassifier } from '../../ml/classifier.ts';
import { MlError } from '../../ml/errors.ts';
import { replayCount, replaySample, resolveReplayOptions } from '../../ml/replay-sample.ts';
import { stateWeights, type TrainingState } from '../../ml/train.ts';
import { resolveTrainOptions } from '../../ml/train-options.ts';
import { warmStartState } from '../../ml/warm-start.ts';
import { syntheticTexts } from '../support/synthetic.ts';

describe('update mode: warm start', async () => {
  const labels = ['a', 'b', 'c'];
  const old = syntheticTexts(300, labels, 31);
  const fresh = syntheticTexts(120, labels, 32);
  const champion = await fitClassifier(old, { featurizer: { buckets: 4096, idf: true }, train: { epochs: 4, seed: 1 } });

  it("starts from the champion's weights and biases exactly, with fresh Adam moments", () => {
    const state = warmStartState(champion.model, resolveTrainOptions({ seed: 5 }));
    expect(state.epoch).toBe(0);
    expect(state.step).toBe(0);
    expect(Array.from(stateWeights(state))).toEqual(Array.from(champion.model.weights));
    expect(Array.from(state.bias)).toEqual(Array.from(champion.model.bias));
    expect(state.params.filter((_, i) => i % 9 >= 3).every((v) => v === 0)).toBe(true);
  });

  it("carries the champion's Adam moments and step over when its training state is given", () => {
    const state = warmStartState(champion.model, resolveTrainOptions(), champion.state);
    expect(state.step).toBe(champion.state.step);
    expect(Array.from(state.params)).toEqual(Array.from(champion.state.params));
    expect(Array.from(state.mBias)).toEqual(Array.from(champion.state.mBias));
  });

  it('continues on new rows with the champion featurizer and IDF weights, and stays accurate', async () => {
    const updated = await fitClassifier(fresh, { warmStart: champion.model, train: { epochs: 2, seed: 2 } });
    expect(updated.model.featurizer).toEqual(champion.model.featurizer);
    expect(updated.model.idf).toBe(champion.model.idf);
    expect(updated.model.weights).not.toEqual(champion.model.weights);
    expect(evaluateClassifier(updated.model, syntheticTexts(200, labels, 33)).metrics.accuracy).toBeGreaterThan(0.9);
  });

  it('resumed after a crash, ends with the same weights as an uninterrupted update', async () => {
    const train = { epochs: 5, seed: 3, earlyStopping: false };
    const straight = await fitClassifier(fresh, { warmStart: champion.model, train });
    let saved: Buffer | null = null;
    const crashed = fitClassifier(fresh, {
      warmStart: champion.model,
      train,
      hooks: {
        onEpoch: (state: TrainingState) => {
          if (state.epoch === 2) {
            saved = encodeCheckpoint(state);
            throw new Error('crash after epoch 2');
          }
        },
      },
    });
    await expect(crashed).rejects.toThrow('crash after epoch 2');
    const resumed = await fitClassifier(fresh, { warmStart: champion.model, train, resumeFrom: decodeCheckpoint(saved!) });
    expect(Array.from(resumed.model.weights)).toEqual(Array.from(straight.model.weights));
    expect(Array.from(resumed.model.bias)).toEqual(Array.from(straight.model.bias));
  });

  it('refuses labels the champion does not know, and featurizer changes, with precise messages', async () => {
    const withNew = [...fresh, { text: 'brand new words', label: 'd' }];
    await expect(fitClassifier(withNew, { warmStart: champion.model })).rejects.toThrow(
      /the rows also have "d" \(a full retrain can add labels\)/,
    );
    await expect(fitClassifier(fresh, { warmStart: champion.model, featurizer: { bigrams: true } })).rejects.toThrow(MlError);
  });
});

describe('update mode: replay sample', () => {
  const older = Array.from({ length: 1000 }, (_, i) => i);

  it('is deterministic for a seed, different for another, without repeats, in original order', () => {
    const a = replaySample(older, 100, { share: 0.5, seed: 7 });
    const b = replaySample(older, 100, { share: 0.5, seed: 7 });
    const c = replaySample(older, 100, { share: 0.5, seed: 8 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toHaveLength(100);
    expect(new Set(a).size).toBe(100);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
  });

  it('is sized by share of the whole training set, or by an explicit size, capped by the older rows', () => {
    // share 0.25 next to 300 new rows: 100 replayed make a quarter of 400.
    expect(replayCount(1000, 300, { share: 0.25 })).toBe(100);
    expect(replaySample(older, 300, { size: 42 })).toHaveLength(42);
    expect(replaySample(older.slice(0, 10), 300, { share: 0.5 })).toEqual(older.slice(0, 10));
    expect(replaySample(older, 300, { share: 0 })).toEqual([]);
  });

  it('checks its options', () => {
    expect(() => resolveReplayOptions({ share: 1 })).toThrow(/replay share must be in \[0, 1\), got 1/);
    expect(() => resolveReplayOptions({ size: -1 })).toThrow(/replay size must be an integer >= 0 or null/);
  });
});
