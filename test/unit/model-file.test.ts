import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../ml/binary-envelope.ts';
import { fitClassifier, predictTexts } from '../../ml/classifier.ts';
import { decodeModel, encodeModel } from '../../ml/model-file.ts';
import { type MlError } from '../../ml/errors.ts';
import { argmaxRows, predictProba } from '../../ml/softmax-regression.ts';
import { hashTexts } from '../../ml/hashing-vectorizer.ts';
import { syntheticTexts } from '../support/synthetic.ts';

describe('model file', async () => {
  const rows = syntheticTexts(100, ['ham', 'spam'], 4);
  const { model } = await fitClassifier(rows, { featurizer: { buckets: 2048, idf: true }, train: { epochs: 3 } });
  const encoded = encodeModel(model);

  it('round-trips weights, labels and featurizer exactly', () => {
    const back = decodeModel(encoded.bytes, 'test model', encoded.sha256);
    expect(back.labels).toEqual(model.labels);
    expect(back.featurizer).toEqual(model.featurizer);
    expect(Buffer.from(back.weights.buffer).equals(Buffer.from(model.weights.buffer))).toBe(true);
    const x = hashTexts(
      rows.map((r) => r.text),
      model.featurizer,
    );
    expect(Array.from(argmaxRows(predictProba(back, x), 2))).toEqual(Array.from(argmaxRows(predictProba(model, x), 2)));
    expect(Array.from(back.idf!)).toEqual(Array.from(model.idf!));
    // Binary: one weight column and one bias, then the IDF weights.
    expect(encoded.bytes.length).toBe(12 + Math.ceil(encoded.bytes.readUInt32LE(8) / 4) * 4 + (2048 + 1 + 2048) * 4 + 32);
  });

  it('detects a flipped byte with a checksum error naming the model', () => {
    const corrupted = Buffer.from(encoded.bytes);
    corrupted[corrupted.length - 100] ^= 0xff;
    expect(() => decodeModel(corrupted, 'spam version 3')).toThrow(/spam version 3 failed its sha256 checksum/);
    expect(() => decodeModel(corrupted, 'x')).toThrow(expect.objectContaining({ type: 'ModelCorrupted' }) as unknown as MlError);
  });

  it('detects bytes that do not match the registry sha256', () => {
    const other = encodeModel({ ...model, bias: new Float32Array([1, 2]) });
    expect(() => decodeModel(other.bytes, 'spam version 2', encoded.sha256)).toThrow(/do not match the recorded sha256/);
  });

  it('refuses another format version with a clear error', () => {
    const future = Buffer.from(encoded.bytes);
    future.writeUInt32LE(99, 4);
    // Re-seal so only the version differs.
    createHash('sha256')
      .update(future.subarray(0, future.length - 32))
      .digest()
      .copy(future, future.length - 32);
    expect(() => decodeModel(future, 'old model')).toThrow(/format version 99; this Nightshift reads format versions 1, 2/);
  });

  it('refuses something that is not a model file', () => {
    expect(() => decodeModel(Buffer.from('hello world, definitely not a model file at all....'))).toThrow(/bad magic/);
  });
});

describe('model file format 1', () => {
  it('still decodes, with the featurizer settings of its time, and predicts as a two-column softmax', async () => {
    const rows = syntheticTexts(60, ['ham', 'spam'], 5);
    // A format-1 file as Nightshift wrote it: no idf or character n-gram settings, K weight columns.
    const featurizer = {
      bigrams: false,
      minTokenLength: 2,
      maxTokenLength: 40,
      buckets: 1024,
      weighting: 'log1p',
      normalize: true,
      hashSeed: 0,
    };
    const weights = Float32Array.from({ length: 1024 * 2 }, (_, i) => Math.sin(i) * 0.5);
    const bias = Float32Array.from([0.1, -0.1]);
    const bytes = encodeEnvelope('NSMF', 1, { kind: 'softmax-regression', labels: ['ham', 'spam'], featurizer }, [weights, bias]);
    const model = decodeModel(bytes, 'old model');
    expect(model.featurizer).toMatchObject({ idf: false, charNgrams: 'off', buckets: 1024 });
    expect(model.idf).toBeUndefined();
    const texts = rows.map((r) => r.text);
    const x = hashTexts(texts, { buckets: 1024 });
    const expected = argmaxRows(predictProba(model, x), 2);
    expect(predictTexts(model, texts).map((p) => p.label)).toEqual(Array.from(expected, (k) => model.labels[k]));
  });
});

describe('serving a model with character n-grams and IDF', () => {
  it('records the settled options, and predictTexts on the decoded model featurizes as training did', async () => {
    const names = ['anna', 'maria', 'julia', 'sophia', 'emma', 'olivia', 'bob', 'tom', 'jack', 'peter', 'mark', 'john'];
    const rows = names.map((text, i) => ({ text, label: i < 6 ? 'female' : 'male' }));
    const fit = await fitClassifier(rows, { featurizer: { buckets: 4096, idf: true }, train: { epochs: 20, earlyStopping: false } });
    expect(fit.model.featurizer.charNgrams).toBe('on');
    const back = decodeModel(encodeModel(fit.model).bytes);
    expect(back.featurizer).toEqual(fit.model.featurizer);
    const served = predictTexts(
      back,
      rows.map((r) => r.text),
    );
    const direct = predictTexts(
      fit.model,
      rows.map((r) => r.text),
    );
    expect(served.map((p) => Array.from(p.probabilities))).toEqual(direct.map((p) => Array.from(p.probabilities)));
    expect(served.map((p) => p.label)).toEqual(rows.map((r) => r.label));
    // Character n-grams generalise to a name it never saw: "-ia" and "-a" endings.
    expect(predictTexts(back, ['amelia'])[0].label).toBe('female');
  });
});
