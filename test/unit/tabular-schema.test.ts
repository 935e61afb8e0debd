import { describe, expect, it } from 'vitest';
import { MlError } from '../../ml/errors.ts';
import { checkRow, checkRows, extendSchema, inferSchema, parseSchema, type TabularRow } from '../../ml/tabular/schema.ts';

const rows: TabularRow[] = [
  { features: { age: 31, city: 'Paris', member: true, note: null }, label: 2.5 },
  { features: { age: null, city: 'Lyon', member: false }, label: 1 },
  { features: { age: 40.5, city: 'Paris', member: null, note: null }, label: -3 },
];

describe('schema inference', () => {
  it('reads numbers as numbers, strings and booleans as categories, an all-missing column as empty', () => {
    const schema = inferSchema(rows);
    expect(schema).toEqual({
      version: 1,
      task: 'regression',
      columns: [
        { name: 'age', kind: 'number' },
        { name: 'city', kind: 'category' },
        { name: 'member', kind: 'category' },
        { name: 'note', kind: 'empty' },
      ],
    });
  });

  it('makes a column with any string a category, and takes ragged rows (absent keys are missing)', () => {
    const schema = inferSchema([
      { features: { zip: 75001 }, label: 'a' },
      { features: { zip: '2A004', extra: 1 }, label: 'b' },
      { features: {}, label: 'a' },
    ]);
    expect(schema.task).toBe('classification');
    expect(schema.labels).toEqual(['a', 'b']);
    expect(schema.columns).toEqual([
      { name: 'extra', kind: 'number' },
      { name: 'zip', kind: 'category' },
    ]);
  });

  it('is classification when told, even with numeric labels, and reads them as text', () => {
    const schema = inferSchema(
      [
        { features: { x: 1 }, label: 0 },
        { features: { x: 2 }, label: 1 },
      ],
      'classification',
    );
    expect(schema.labels).toEqual(['0', '1']);
  });

  it('is a regression when most labels are numbers, so a stray class label is a problem, not a new task', () => {
    const schema = inferSchema([...rows, { features: { age: 3 }, label: 'n/a' }]);
    expect(schema.task).toBe('regression');
    expect(checkRow({ features: {}, label: 'n/a' }, schema).problems[0].code).toBe('class-label-for-regression');
    expect(
      inferSchema([
        { features: {}, label: 1 },
        { features: {}, label: 'a' },
      ]).task,
    ).toBe('classification');
  });

  it('refuses a row that is not {features: {...}} and a value no column can hold', () => {
    expect(() => inferSchema([{ label: 1 }])).toThrow(MlError);
    expect(() => inferSchema([{ features: { a: [1, 2] }, label: 1 }])).toThrow(/feature "a"/);
  });
});

describe('row checks', () => {
  const schema = inferSchema(rows);

  it('passes good rows, missing values included', () => {
    expect(checkRow({ features: { age: null, city: null }, label: 0 }, schema)).toEqual({ ok: true, problems: [], newColumns: [] });
  });

  it('names every bad value of a row', () => {
    const check = checkRow({ features: { age: 'old', city: 3, member: Number.NaN } }, schema);
    expect(check.ok).toBe(false);
    expect(check.problems.map((p) => [p.code, p.column])).toEqual([
      ['not-a-number', 'age'],
      ['non-finite-number', 'member'],
      ['missing-label', undefined],
    ]);
    expect(check.problems[0].message).toContain('"old"');
  });

  it('tells a non-finite regression label from a class label given to a regression', () => {
    expect(checkRow({ features: {}, label: Infinity }, schema).problems.map((p) => p.code)).toEqual(['non-finite-label']);
    expect(checkRow({ features: {}, label: 'high' }, schema).problems.map((p) => p.code)).toEqual(['class-label-for-regression']);
    expect(checkRow({ features: {} }, schema, { requireLabel: false }).ok).toBe(true);
  });

  it('reports new columns without failing the row, and values in an empty column are accepted', () => {
    const check = checkRow({ features: { age: 3, zeta: 'z', alpha: 1, note: 'now set' }, label: 1 }, schema);
    expect(check).toEqual({ ok: true, problems: [], newColumns: ['alpha', 'zeta'] });
  });

  it('checks rows in bulk: the bad ones by index and the new columns with counts', () => {
    const result = checkRows([{ features: { age: 1, b: 1 }, label: 1 }, 'nonsense', { features: { b: 2, c: null }, label: null }], schema);
    expect(result.bad.map((b) => [b.row, b.problems.map((p) => p.code)])).toEqual([
      [1, ['not-a-row']],
      [2, ['missing-label']],
    ]);
    expect(result.newColumns).toEqual([
      { name: 'b', rows: 2 },
      { name: 'c', rows: 1 },
    ]);
  });

  it('reports an unknown class only when asked', () => {
    const cls = inferSchema([
      { features: { x: 1 }, label: 'a' },
      { features: { x: 2 }, label: 'b' },
    ]);
    expect(checkRow({ features: { x: 1 }, label: 'c' }, cls).ok).toBe(true);
    expect(checkRow({ features: { x: 1 }, label: 'c' }, cls, { knownClassesOnly: true }).problems[0].code).toBe('unknown-class');
  });

  it('is updated with new rows: new columns added, empty ones given a kind, existing kinds kept', () => {
    const { schema: next, added } = extendSchema(schema, [
      { features: { age: 'old', note: 'filled', score: 4 }, label: 1 },
      { features: { fresh: null }, label: 2 },
    ]);
    expect(added).toEqual(['fresh', 'note', 'score']);
    expect(next.columns).toEqual([
      { name: 'age', kind: 'number' },
      { name: 'city', kind: 'category' },
      { name: 'fresh', kind: 'empty' },
      { name: 'member', kind: 'category' },
      { name: 'note', kind: 'category' },
      { name: 'score', kind: 'number' },
    ]);
    expect(checkRow({ features: { score: 1 }, label: 1 }, next).newColumns).toEqual([]);
    expect(checkRow({ features: { age: 'old' }, label: 1 }, next).ok).toBe(false);
  });

  it('parses a schema back from JSON and refuses a malformed one', () => {
    expect(parseSchema(JSON.parse(JSON.stringify(schema)))).toEqual(schema);
    expect(() => parseSchema({ ...schema, task: 'ranking' })).toThrow(/task/);
    expect(() => parseSchema({ version: 1, task: 'classification', columns: [] })).toThrow(/labels/);
  });
});
