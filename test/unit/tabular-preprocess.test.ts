import { describe, expect, it } from 'vitest';
import { MlError } from '../../ml/errors.ts';
import { murmur3String } from '../../ml/murmur3.ts';
import { featureNames, fitPreprocessor, parsePreprocessor, transformRow, transformRows } from '../../ml/tabular/preprocess.ts';
import { inferSchema, type TabularRow } from '../../ml/tabular/schema.ts';

const train: TabularRow[] = [
  { features: { age: 20, city: 'Paris', member: true, note: null }, label: 1 },
  { features: { age: 40, city: 'Lyon', member: false }, label: 2 },
  { features: { age: null, city: 'Paris', member: true }, label: 3 },
  { features: { age: 30, city: null, member: false }, label: 4 },
];

describe('preprocessing', () => {
  const schema = inferSchema(train);
  const p = fitPreprocessor(train, schema);

  it('standardises numbers on the training values (population std), with an indicator where training had a missing value', () => {
    expect(p.columns[0]).toEqual({ name: 'age', kind: 'number', mean: 30, std: Math.sqrt(200 / 3), missingIndicator: true });
    expect(featureNames(p)).toEqual([
      'age',
      'age=missing',
      'city=Lyon',
      'city=Paris',
      'city=other',
      'member=false',
      'member=true',
      'member=other',
    ]);
    expect(p.width).toBe(8);
  });

  it('transforms: missing number -> mean and indicator, unseen category -> other, missing category -> no column', () => {
    const s = Math.sqrt(200 / 3);
    expect(Array.from(transformRow(p, { age: 40, city: 'Lyon', member: true }))).toEqual([Math.fround(10 / s), 0, 1, 0, 0, 0, 1, 0]);
    expect(Array.from(transformRow(p, { city: 'Nice', member: null, extra: 'ignored' }))).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
  });

  it('round-trips through JSON and transforms identically afterwards', () => {
    const back = parsePreprocessor(JSON.parse(JSON.stringify(p)));
    expect(back).toEqual(p);
    const a = transformRows(p, train);
    const b = transformRows(back, train);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('hashes a category past the cardinality cap, deterministically', () => {
    const many: TabularRow[] = Array.from({ length: 10 }, (_, i) => ({ features: { id: `u${i}` }, label: i }));
    const hp = fitPreprocessor(many, inferSchema(many), { maxCategories: 5, hashBuckets: 8, hashSeed: 3 });
    expect(hp.columns).toEqual([{ name: 'id', kind: 'hashed', buckets: 8, seed: 3 }]);
    const row = transformRow(hp, { id: 'u7' });
    expect(Array.from(row).indexOf(1)).toBe(murmur3String('u7', 3) % 8);
    expect(row.reduce((s, v) => s + v, 0)).toBe(1);
  });

  it('gives an all-missing column no columns and a constant column std 1', () => {
    const rows: TabularRow[] = [
      { features: { c: 5, gone: null }, label: 1 },
      { features: { c: 5, gone: null }, label: 2 },
    ];
    const cp = fitPreprocessor(rows, inferSchema(rows));
    expect(cp.columns).toEqual([{ name: 'c', kind: 'number', mean: 5, std: 1, missingIndicator: false }]);
    expect(Array.from(transformRow(cp, { c: 7, gone: 'x' }))).toEqual([2]);
  });

  it('refuses a value its plan cannot take, and a malformed stored preprocessor', () => {
    expect(() => transformRow(p, { age: 'old' })).toThrow(MlError);
    expect(() => transformRow(p, { age: Infinity })).toThrow(/finite/);
    expect(() => transformRow(p, { city: { name: 'Paris' } as unknown as string })).toThrow(/not a number, string/);
    expect(() => parsePreprocessor({ ...p, width: 3 })).toThrow(/width/);
    expect(() => fitPreprocessor(train, schema, { maxCategories: 0 })).toThrow(/maxCategories/);
  });
});
