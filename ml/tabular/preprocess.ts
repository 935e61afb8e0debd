/**
 * Tabular preprocessing, fitted on training rows only and stored as plain JSON in the model file so
 * prediction transforms exactly as training did.
 *
 * - number column: (x - mean) / std with the training mean and population std (std 0 counts as 1,
 *   as scikit-learn's StandardScaler); a missing value becomes the mean (0 after scaling), and when
 *   the training rows had a missing value there, a 0/1 missing-indicator column follows it.
 * - category column with at most `maxCategories` distinct training values: one-hot over those values
 *   (sorted) plus an "other" column for a value training never saw.
 * - category column with more: `hashBuckets` columns, value v lights murmur3(v, hashSeed) % buckets.
 * - a missing category lights no column; an empty column (schema kind `empty`) has no columns.
 * Feature columns appear in schema order (by name); `transformRow` is deterministic.
 */
import { MlError } from '../errors.ts';
import { murmur3String } from '../murmur3.ts';
import { categoryText, type FeatureValue, type TabularRow, type TabularSchema } from './schema.ts';

export interface PreprocessOptions {
  /** Most distinct values a category column one-hot encodes; past that it is hashed. Default 50. */
  maxCategories: number;
  /** Columns of a hashed category. Default 32. */
  hashBuckets: number;
  /** Seed of the category hash. Default 0. */
  hashSeed: number;
}

export const defaultPreprocessOptions: PreprocessOptions = { maxCategories: 50, hashBuckets: 32, hashSeed: 0 };

export type ColumnPlan =
  | { name: string; kind: 'number'; mean: number; std: number; missingIndicator: boolean }
  | { name: string; kind: 'one-hot'; categories: string[] }
  | { name: string; kind: 'hashed'; buckets: number; seed: number };

export interface Preprocessor {
  version: 1;
  columns: ColumnPlan[];
  /** Length of a transformed row. */
  width: number;
}

export const PREPROCESSOR_VERSION = 1;

/** Columns a plan writes. */
export function planWidth(plan: ColumnPlan): number {
  if (plan.kind === 'number') return plan.missingIndicator ? 2 : 1;
  if (plan.kind === 'one-hot') return plan.categories.length + 1;
  return plan.buckets;
}

function checkOptions(o: PreprocessOptions): void {
  if (!Number.isInteger(o.maxCategories) || o.maxCategories < 1) {
    throw new MlError('InvalidOptions', `maxCategories must be an integer >= 1, got ${o.maxCategories}`);
  }
  if (!Number.isInteger(o.hashBuckets) || o.hashBuckets < 1)
    throw new MlError('InvalidOptions', `hashBuckets must be an integer >= 1, got ${o.hashBuckets}`);
  if (!Number.isInteger(o.hashSeed) || o.hashSeed < 0 || o.hashSeed > 0xffffffff) {
    throw new MlError('InvalidOptions', `hashSeed must be an integer in [0, 4294967295], got ${o.hashSeed}`);
  }
}

/** Fits the preprocessing of `schema`'s columns on the training rows. */
export function fitPreprocessor(
  rows: readonly TabularRow[],
  schema: TabularSchema,
  options: Partial<PreprocessOptions> = {},
): Preprocessor {
  const o = { ...defaultPreprocessOptions, ...options };
  checkOptions(o);
  const columns: ColumnPlan[] = [];
  for (const { name, kind } of schema.columns) {
    if (kind === 'number') {
      let n = 0;
      let mean = 0;
      let m2 = 0;
      let missing = false;
      for (const row of rows) {
        const v = row.features[name];
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          missing ||= v === null || v === undefined;
          continue;
        }
        // Welford: stable for large offsets.
        n++;
        const d = v - mean;
        mean += d / n;
        m2 += d * (v - mean);
      }
      const std = n > 0 ? Math.sqrt(m2 / n) : 0;
      columns.push({ name, kind: 'number', mean, std: std > 0 ? std : 1, missingIndicator: missing });
    } else if (kind === 'category') {
      const values = new Set<string>();
      for (const row of rows) {
        const v = row.features[name];
        if (v !== null && v !== undefined) values.add(categoryText(v));
      }
      if (values.size <= o.maxCategories) columns.push({ name, kind: 'one-hot', categories: [...values].sort() });
      else columns.push({ name, kind: 'hashed', buckets: o.hashBuckets, seed: o.hashSeed });
    }
  }
  return { version: PREPROCESSOR_VERSION, columns, width: columns.reduce((s, c) => s + planWidth(c), 0) };
}

/** The name of every transformed column, e.g. `age`, `age=missing`, `city=Paris`, `city=other`, `zip#3`. */
export function featureNames(p: Preprocessor): string[] {
  return p.columns.flatMap((c) => {
    if (c.kind === 'number') return c.missingIndicator ? [c.name, `${c.name}=missing`] : [c.name];
    if (c.kind === 'one-hot') return [...c.categories.map((v) => `${c.name}=${v}`), `${c.name}=other`];
    return Array.from({ length: c.buckets }, (_, b) => `${c.name}#${b}`);
  });
}

/**
 * Writes the transformed `features` into `out` at `offset` (width values; all are written). Throws
 * InvalidTestData for a value the plan cannot take (a string in a number column, a non-finite number).
 */
export function transformInto(p: Preprocessor, features: Record<string, FeatureValue>, out: Float32Array, offset = 0): void {
  let at = offset;
  for (const c of p.columns) {
    const v = features[c.name];
    const missing = v === null || v === undefined;
    if (!missing && typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') {
      throw new MlError('InvalidTestData', `feature ${JSON.stringify(c.name)} is not a number, string, boolean or null`);
    }
    if (!missing && typeof v === 'number' && !Number.isFinite(v)) {
      throw new MlError('InvalidTestData', `feature ${JSON.stringify(c.name)} is ${v}, not a finite number`);
    }
    const width = planWidth(c);
    out.fill(0, at, at + width);
    if (c.kind === 'number') {
      if (!missing && typeof v !== 'number') {
        throw new MlError('InvalidTestData', `feature ${JSON.stringify(c.name)} is a number column but has ${JSON.stringify(v)}`);
      }
      out[at] = missing ? 0 : ((v as number) - c.mean) / c.std;
      if (c.missingIndicator) out[at + 1] = missing ? 1 : 0;
    } else if (!missing) {
      const text = categoryText(v);
      if (c.kind === 'one-hot') {
        const i = binarySearch(c.categories, text);
        out[at + (i >= 0 ? i : c.categories.length)] = 1;
      } else {
        out[at + (murmur3String(text, c.seed) % c.buckets)] = 1;
      }
    }
    at += width;
  }
}

function binarySearch(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid];
    if (v === key) return mid;
    if (v < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** One row's features as a vector of p.width values. */
export function transformRow(p: Preprocessor, features: Record<string, FeatureValue>): Float32Array {
  const out = new Float32Array(p.width);
  transformInto(p, features, out);
  return out;
}

/** Rows as a row-major matrix, rows x p.width. */
export function transformRows(p: Preprocessor, rows: readonly Pick<TabularRow, 'features'>[]): Float32Array {
  const out = new Float32Array(rows.length * p.width);
  rows.forEach((row, i) => transformInto(p, row.features, out, i * p.width));
  return out;
}

/** Checks a parsed preprocessor (from a model file); throws ModelCorrupted naming the fault. */
export function parsePreprocessor(value: unknown, what = 'preprocessor'): Preprocessor {
  const fail = (why: string): never => {
    throw new MlError('ModelCorrupted', `${what}: ${why}`);
  };
  const p = value as Preprocessor;
  if (typeof p !== 'object' || p === null || p.version !== PREPROCESSOR_VERSION || !Array.isArray(p.columns)) {
    return fail(`not a version ${PREPROCESSOR_VERSION} preprocessor`);
  }
  for (const c of p.columns as unknown as Array<Record<string, unknown>>) {
    if (typeof c !== 'object' || c === null || typeof c.name !== 'string') fail('a column has no name');
    const ok =
      (c.kind === 'number' && Number.isFinite(c.mean) && (c.std as number) > 0 && typeof c.missingIndicator === 'boolean') ||
      (c.kind === 'one-hot' && Array.isArray(c.categories) && c.categories.every((v) => typeof v === 'string')) ||
      (c.kind === 'hashed' && Number.isInteger(c.buckets) && (c.buckets as number) > 0 && Number.isInteger(c.seed));
    if (!ok) fail(`column ${JSON.stringify(c.name)} is malformed`);
  }
  if (p.width !== p.columns.reduce((s, c) => s + planWidth(c), 0)) fail('width does not match its columns');
  return p;
}
