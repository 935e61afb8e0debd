/**
 * Streamed training (issue 15) against a real PostgreSQL: a history that fits the buffer trains
 * bit for bit as `nightshift train` does in memory; a longer one streams in pages through a
 * bounded buffer, reads the counts the first run stored and gets the same weights from them as
 * from the texts, and honours featurizer settings changed between runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/services.ts';
import { importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { evaluateClassifier, fitClassifier } from '../../ml/classifier.ts';
import { encodeModel } from '../../ml/model-file.ts';
import { trainOnSource } from '../../ml/train.ts';
import { resolveTrainOptions, type TrainOptions } from '../../ml/train-options.ts';
import { countingKey, type FeaturizerOptions } from '../../ml/hashing-vectorizer.ts';
import { streamedTrainingSet, type StreamLimits } from '../../activities/pipeline/streamed-source.ts';
import { selectExamples } from '../../registry/examples.ts';
import { storedCountRows } from '../../registry/example-features.ts';
import { getModel } from '../../registry/models.ts';

let database: TestDatabase;
let modelId: number;
let toId: number;
const ROWS = 600;

beforeAll(async () => {
  database = await createTestDatabase();
  await importRows(database.db, 'stream', syntheticTexts(ROWS, ['yes', 'no', 'maybe'], 31));
  modelId = (await getModel(database.db, 'stream')).id;
  const { rows } = await database.db.query<{ max: string }>('SELECT max(id) AS max FROM examples WHERE model_id = $1', [modelId]);
  toId = Number(rows[0].max);
});
afterAll(async () => {
  await database?.drop();
});

async function streamed(
  featurizer: Partial<FeaturizerOptions>,
  train: Partial<TrainOptions>,
  limits: Partial<StreamLimits>,
  storeCounts = true,
) {
  const set = await streamedTrainingSet(database.db, { modelId, toId, featurizer, train: resolveTrainOptions(train), limits, storeCounts });
  const { model } = await trainOnSource({ source: set.source, labels: set.labels, featurizer: set.featurizer, options: train });
  return { set, model: set.idf ? { ...model, idf: set.idf } : model };
}

async function inMemory(featurizer: Partial<FeaturizerOptions>, train: Partial<TrainOptions>) {
  const rows = await selectExamples(database.db, { modelId, afterId: 0, toId, split: 'train' });
  return (await fitClassifier(rows, { featurizer, train })).model;
}

const sha = (m: Parameters<typeof encodeModel>[0]) => encodeModel(m).sha256;

describe('a history that fits the buffer', () => {
  for (const [name, featurizer] of [
    ['defaults', {}],
    ['IDF weighting and bigrams', { idf: true, bigrams: true }],
  ] as const) {
    it(`trains bit for bit as in memory (${name}; validation split and early stopping on)`, async () => {
      const train = { epochs: 6, seed: 5 };
      const { set, model } = await streamed(featurizer, train, { pageRows: 1000, bufferPages: 1 });
      expect(set.stats.pages).toBe(1);
      expect(set.stats.validationRows).toBeGreaterThan(0);
      expect(sha(model)).toBe(sha(await inMemory(featurizer, train)));
    });
  }
});

describe('a history longer than the buffer', () => {
  const limits = { pageRows: 40, bufferPages: 3, validationCap: 1000 };
  const train = { epochs: 4, seed: 9, validationFraction: 0.15 };

  it('streams in pages through a bounded buffer, stores the counts, and gets the same weights from them as from the texts', async () => {
    await database.db.query('DELETE FROM example_features');
    // Every epoch from the texts: nothing is stored.
    const fromTexts = await streamed({}, train, limits, false);
    expect(await database.db.query('SELECT 1 FROM example_features')).toHaveProperty('rowCount', 0);
    const first = await streamed({}, train, limits);
    const trainRows = first.set.source.totalRows;
    expect(first.set.stats.pages).toBe(Math.ceil(trainRows / 40));
    expect(first.set.stats.countedRows).toBe(trainRows);
    expect(first.set.stats.maxBlockRows).toBeGreaterThan(0);
    expect(first.set.stats.maxBlockRows).toBeLessThanOrEqual(120);
    expect(first.set.stats.validationRows).toBeGreaterThan(0);
    expect(await storedCountRows(database.db, modelId, toId, countingKey(first.set.featurizer))).toBe(trainRows);

    const second = await streamed({}, train, limits);
    expect(second.set.stats.countedRows).toBe(0);
    expect(second.set.stats.storedCountRows).toBe(trainRows);
    expect(sha(second.model)).toBe(sha(first.model));
    expect(sha(second.model)).toBe(sha(fromTexts.model));

    // Streaming changes the order, not what is learnt: held-out accuracy within 5 points of in memory.
    const test = await selectExamples(database.db, { modelId, afterId: 0, toId, split: 'test' });
    const streamedAccuracy = evaluateClassifier(first.model, test).metrics.accuracy;
    const memoryAccuracy = evaluateClassifier(await inMemory({}, train), test).metrics.accuracy;
    expect(memoryAccuracy).toBeGreaterThan(0.6);
    expect(streamedAccuracy).toBeGreaterThan(memoryAccuracy - 0.05);
  });

  it('honours featurizer settings changed between runs: the texts are counted again under the new settings', async () => {
    const before = await streamed({}, train, limits);
    const changed = await streamed({ buckets: 1024, bigrams: true }, train, limits);
    expect(changed.model.featurizer.buckets).toBe(1024);
    expect(changed.model.featurizer.bigrams).toBe(true);
    expect(changed.set.stats.countedRows).toBe(changed.set.source.totalRows);
    expect(await storedCountRows(database.db, modelId, toId, countingKey(changed.set.featurizer))).toBe(changed.set.source.totalRows);
    expect(await storedCountRows(database.db, modelId, toId, countingKey(before.set.featurizer))).toBe(0);
    // Through one page, the new settings give what in-memory training with them gives.
    const onePage = await streamed(
      { buckets: 1024, bigrams: true },
      { ...train, earlyStopping: false },
      { pageRows: 1000, bufferPages: 1 },
    );
    expect(onePage.set.stats.countedRows).toBe(0);
    expect(sha(onePage.model)).toBe(sha(await inMemory({ buckets: 1024, bigrams: true }, { ...train, earlyStopping: false })));
  });
});
