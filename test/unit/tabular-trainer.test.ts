import { describe, expect, it } from 'vitest';
import { MlError } from '../../ml/errors.ts';
import { Rng } from '../../ml/rng.ts';
import { evaluateTabular, predictTabular } from '../../ml/tabular/model.ts';
import { decodeTabularCheckpoint, decodeTabularModel, encodeTabularCheckpoint, encodeTabularModel } from '../../ml/tabular/model-file.ts';
import { inferSchema, type TabularRow } from '../../ml/tabular/schema.ts';
import { fitTabular, type TabularTrainingState } from '../../ml/tabular/trainer.ts';

function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

const NOISE = 0.5;

/** y = 3 x1 - 2 x2 + N(0, NOISE²), with an unused category, some missing x3 and `outliers` share of y + 40. */
function linearRows(n: number, seed: number, outliers = 0): TabularRow[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const x1 = gaussian(rng);
    const x2 = 2 * gaussian(rng) + 1;
    const x3 = rng.next() < 0.2 ? null : gaussian(rng);
    const shop = ['north', 'south', 'east'][rng.nextInt(3)];
    const label = 3 * x1 - 2 * x2 + NOISE * gaussian(rng) + (rng.next() < outliers ? 40 : 0);
    return { features: { x1, x2, x3, shop }, label };
  });
}

/** Three classes by the angle of (x1, x2): 120° sectors, plus a noise category and a flag. */
function sectorRows(n: number, seed: number): TabularRow[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const x1 = gaussian(rng);
    const x2 = gaussian(rng);
    const angle = (Math.atan2(x2, x1) + 2 * Math.PI) % (2 * Math.PI);
    const label = ['red', 'green', 'blue'][Math.floor(angle / ((2 * Math.PI) / 3))];
    return { features: { x1, x2, flag: rng.next() < 0.5, tag: `t${rng.nextInt(5)}` }, label };
  });
}

const bytesOf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('tabular regression', () => {
  const train = linearRows(1500, 1);
  const test = linearRows(500, 2);

  it('a linear model learns y = 3 x1 - 2 x2 + noise to an RMSE near the noise level', async () => {
    const { model, state } = await fitTabular(train, { train: { hidden: [], learningRate: 0.01, epochs: 60 } });
    const e = evaluateTabular(model, test);
    if (e.task !== 'regression') throw new Error('expected a regression');
    expect(e.metrics.rmse).toBeLessThan(NOISE * 1.1);
    expect(e.metrics.r2).toBeGreaterThan(0.98);
    expect(state.history.length).toBeGreaterThan(1);
  });

  it('the default MLP ([64, 32], ReLU) learns it too', async () => {
    const { model } = await fitTabular(train, { train: { learningRate: 0.003, epochs: 60 } });
    expect(model.layers).toEqual([model.preprocessor.width, 64, 32, 1]);
    const e = evaluateTabular(model, test);
    if (e.task !== 'regression') throw new Error('expected a regression');
    expect(e.metrics.rmse).toBeLessThan(NOISE * 1.25);
    expect(e.squaredErrors.length).toBe(test.length);
  });

  it('with the Huber loss, gross outliers in training pull the fit less than with squared error', async () => {
    const dirty = linearRows(1500, 3, 0.1);
    const options = { hidden: [], learningRate: 0.01, epochs: 60, earlyStopping: false };
    const mse = await fitTabular(dirty, { train: options });
    const huber = await fitTabular(dirty, { train: { ...options, regressionLoss: 'huber', huberDelta: 0.5 } });
    const rmse = (m: typeof mse.model): number => {
      const e = evaluateTabular(m, test);
      return e.task === 'regression' ? e.metrics.rmse : NaN;
    };
    expect(rmse(huber.model)).toBeLessThan(rmse(mse.model) * 0.8);
  });
});

describe('tabular classification', () => {
  it('learns a 3-class problem to high accuracy', async () => {
    const { model } = await fitTabular(sectorRows(1500, 4), { train: { learningRate: 0.003, epochs: 60 } });
    expect(model.labels).toEqual(['blue', 'green', 'red']);
    const e = evaluateTabular(model, sectorRows(500, 5));
    if (e.task !== 'classification') throw new Error('expected a classification');
    expect(e.metrics.accuracy).toBeGreaterThan(0.95);
    const p = predictTabular(model, [{ features: { x1: 1, x2: 0.05 } }]);
    expect(p.task === 'classification' && p.predictedLabels).toEqual(['red']);
  });
});

describe('determinism, checkpoints and warm start', () => {
  const rows = linearRows(400, 6);
  const options = { hidden: [16, 8], epochs: 6, seed: 9, learningRate: 0.003, patience: 50 };

  it('is bit-identical for the same rows, options and seed, and differs for another seed', async () => {
    const a = await fitTabular(rows, { train: options });
    const b = await fitTabular(rows, { train: options });
    const c = await fitTabular(rows, { train: { ...options, seed: 10 } });
    expect(bytesOf(a.model.params).equals(bytesOf(b.model.params))).toBe(true);
    expect(encodeTabularModel(a.model).sha256).toBe(encodeTabularModel(b.model).sha256);
    expect(bytesOf(a.model.params).equals(bytesOf(c.model.params))).toBe(false);
  });

  it('6 epochs straight = 3 epochs, checkpoint bytes, resume 3: identical weights byte for byte', async () => {
    const straight = await fitTabular(rows, { train: options });
    let saved: Buffer | null = null;
    await expect(
      fitTabular(rows, {
        train: options,
        hooks: {
          onEpoch: (state: TabularTrainingState) => {
            if (state.epoch === 3) {
              saved = encodeTabularCheckpoint(state);
              throw new Error('simulated crash after epoch 3');
            }
          },
        },
      }),
    ).rejects.toThrow(/simulated crash/);
    const resumedFrom = decodeTabularCheckpoint(saved!);
    expect(resumedFrom.epoch).toBe(3);
    const resumed = await fitTabular(rows, { train: options, resumeFrom: resumedFrom });
    expect(resumed.state.epoch).toBe(6);
    expect(bytesOf(resumed.model.params).equals(bytesOf(straight.model.params))).toBe(true);
    expect(bytesOf(resumed.state.m).equals(bytesOf(straight.state.m))).toBe(true);
    expect(resumed.state.history).toEqual(straight.state.history);
    expect(encodeTabularModel(resumed.model).bytes.equals(encodeTabularModel(straight.model).bytes)).toBe(true);
    await expect(fitTabular(rows.slice(1), { train: options, resumeFrom: decodeTabularCheckpoint(saved!) })).rejects.toThrow(
      /other training rows/,
    );
    const flipped = Buffer.from(saved!);
    flipped[flipped.length - 5] ^= 0xff;
    expect(() => decodeTabularCheckpoint(flipped)).toThrow(MlError);
    await expect(
      fitTabular(rows, { train: { ...options, learningRate: 0.01 }, resumeFrom: decodeTabularCheckpoint(saved!) }),
    ).rejects.toThrow(/other training options/);
  });

  it('warm start continues from the model: its first epoch starts far below a fresh run', async () => {
    const first = await fitTabular(rows, { train: { ...options, epochs: 20 } });
    const more = linearRows(300, 7);
    const warm = await fitTabular(more, { warmStart: first.model, train: { ...options, epochs: 1 } });
    const fresh = await fitTabular(more, { train: { ...options, epochs: 1 } });
    expect(warm.state.history[0].trainLoss).toBeLessThan(fresh.state.history[0].trainLoss / 4);
    expect(warm.model.preprocessor).toEqual(first.model.preprocessor);
    await expect(fitTabular(more, { warmStart: first.model, train: { ...options, hidden: [4] } })).rejects.toThrow(/hidden layers/);
    await expect(fitTabular(more, { warmStart: first.model, preprocess: { maxCategories: 2 }, train: options })).rejects.toThrow(
      /preprocessing/,
    );
  });

  it('refuses unusable training rows and a warm start on classes the model does not know', async () => {
    const bad = [...rows.slice(0, 20), { features: { x1: 1 }, label: 'high' }, { features: { x1: Infinity }, label: 2 }];
    await expect(fitTabular(bad, { train: options })).rejects.toThrow(
      /2 training row\(s\).*row 21: a regression needs a numeric label.*row 22/,
    );
    await expect(
      fitTabular([...rows.slice(0, 20), { features: { x1: 'a lot' }, label: 1 }], { schema: inferSchema(rows), train: options }),
    ).rejects.toThrow(MlError);
    const cls = sectorRows(50, 8);
    const { model } = await fitTabular(cls, { train: { ...options, epochs: 1 } });
    const withNew = [...cls, { features: { x1: 0, x2: 0 }, label: 'purple' }];
    await expect(fitTabular(withNew, { warmStart: model, train: { ...options, epochs: 1 } })).rejects.toThrow(/purple/);
  });
});

describe('training hooks', () => {
  it('reports every epoch, ticks at yields, and stops between mini-batches when aborted', async () => {
    const rows = linearRows(200, 11);
    const epochs: number[] = [];
    let ticks = 0;
    const controller = new AbortController();
    const run = fitTabular(rows, {
      train: { hidden: [4], epochs: 50, earlyStopping: false },
      hooks: {
        yieldEveryMs: 0,
        onYield: () => void ticks++,
        signal: controller.signal,
        onEpoch: (state) => {
          epochs.push(state.epoch);
          if (state.epoch === 2) controller.abort(new Error('cancelled by the test'));
        },
      },
    });
    await expect(run).rejects.toThrow(/cancelled by the test/);
    expect(epochs).toEqual([1, 2]);
    expect(ticks).toBeGreaterThan(2);
  });
});

describe('the tabular model file', () => {
  it('round-trips bit for bit and predicts the same; a flipped byte is refused', async () => {
    const { model } = await fitTabular(sectorRows(200, 9), { train: { hidden: [8], epochs: 3 } });
    const encoded = encodeTabularModel(model);
    const back = decodeTabularModel(encoded.bytes, 'model', encoded.sha256);
    expect(back).toEqual(model);
    const rows = sectorRows(20, 10);
    const a = predictTabular(model, rows);
    const b = predictTabular(back, rows);
    expect(
      a.task === 'classification' && b.task === 'classification' && Buffer.from(a.proba.buffer).equals(Buffer.from(b.proba.buffer)),
    ).toBe(true);
    const corrupt = Buffer.from(encoded.bytes);
    corrupt[40] ^= 1;
    expect(() => decodeTabularModel(corrupt)).toThrow(/checksum/);
    expect(() => decodeTabularModel(encoded.bytes, 'model', 'f'.repeat(64))).toThrow(/sha256/);
  });
});
