/**
 * Feature hashing: tokens -> MurmurHash3 (bigrams: bigramHash of the two) -> bucket -> term weight -> optional L2 normalisation.
 * Produces CSR rows with sorted indices so that the same text always yields the same bytes.
 */
import { CsrBuilder, type CsrMatrix } from './sparse.ts';
import { defaultTokenizerOptions, type TokenizerOptions } from './tokenize.ts';
import { forEachTokenHash } from './token-hasher.ts';
import { MlError } from './errors.ts';

export type TermWeighting = 'binary' | 'count' | 'log1p';

export interface FeaturizerOptions extends TokenizerOptions {
  /** Number of hash buckets (features). Default 2^18. */
  buckets: number;
  /** binary: 1 per present token; count: raw count; log1p: log(1 + count). Default log1p. */
  weighting: TermWeighting;
  /** Scale each row to unit L2 norm. Default true. */
  normalize: boolean;
  /** Hash seed. Default 0 (scikit-learn's). */
  hashSeed: number;
}

export const defaultFeaturizerOptions: FeaturizerOptions = {
  ...defaultTokenizerOptions,
  bigrams: false,
  buckets: 1 << 18,
  weighting: 'log1p',
  normalize: true,
  hashSeed: 0,
};

export function checkFeaturizerOptions(options: FeaturizerOptions): void {
  const { buckets, minTokenLength, maxTokenLength, weighting } = options;
  if (!Number.isInteger(buckets) || buckets < 2 || buckets > 1 << 24) {
    throw new MlError('InvalidOptions', `buckets must be an integer in [2, 16777216], got ${buckets}`);
  }
  if (!Number.isInteger(minTokenLength) || minTokenLength < 1) {
    throw new MlError('InvalidOptions', `minTokenLength must be an integer >= 1, got ${minTokenLength}`);
  }
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < minTokenLength) {
    throw new MlError('InvalidOptions', `maxTokenLength must be an integer >= minTokenLength, got ${maxTokenLength}`);
  }
  if (!['binary', 'count', 'log1p'].includes(weighting)) {
    throw new MlError('InvalidOptions', `weighting must be binary, count or log1p, got ${String(weighting)}`);
  }
}

export function resolveFeaturizerOptions(partial: Partial<FeaturizerOptions> = {}): FeaturizerOptions {
  const options = { ...defaultFeaturizerOptions, ...partial };
  checkFeaturizerOptions(options);
  return options;
}

/** Reusable per-thread scratch space; a vectorizer is not re-entrant. */
export class HashingVectorizer {
  readonly options: FeaturizerOptions;
  private readonly counts: Float64Array;
  private touched: Int32Array;
  private nTouched = 0;
  private readonly rowValues: number[] = [];

  constructor(options: Partial<FeaturizerOptions> = {}) {
    this.options = resolveFeaturizerOptions(options);
    this.counts = new Float64Array(this.options.buckets);
    this.touched = new Int32Array(4096);
  }

  private readonly addHash = (hash: number): void => {
    const bucket = hash % this.options.buckets;
    if (this.counts[bucket] === 0) {
      if (this.nTouched === this.touched.length) {
        const grown = new Int32Array(this.touched.length * 2);
        grown.set(this.touched);
        this.touched = grown;
      }
      this.touched[this.nTouched++] = bucket;
    }
    this.counts[bucket] += 1;
  };

  /** Hashes one text into (sorted indices, values), passed to `emit`. */
  private vectorizeInto(text: string, emit: (indices: Int32Array, values: number[], n: number) => void): void {
    this.nTouched = 0;
    forEachTokenHash(text, this.options, this.options.hashSeed, this.addHash);
    const n = this.nTouched;
    const idx = this.touched.subarray(0, n).sort();
    const values = this.rowValues;
    values.length = n;
    let norm = 0;
    for (let i = 0; i < n; i++) {
      const c = this.counts[idx[i]];
      this.counts[idx[i]] = 0;
      const w = this.options.weighting === 'binary' ? 1 : this.options.weighting === 'count' ? c : Math.log1p(c);
      values[i] = w;
      norm += w * w;
    }
    if (this.options.normalize && norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < n; i++) values[i] *= inv;
    }
    emit(idx, values, n);
  }

  transform(texts: readonly string[]): CsrMatrix {
    const builder = new CsrBuilder(this.options.buckets);
    for (const text of texts) {
      this.vectorizeInto(text, (indices, values, n) => builder.addRow(indices, values, n));
    }
    return builder.build();
  }
}

export function hashTexts(texts: readonly string[], options: Partial<FeaturizerOptions> = {}): CsrMatrix {
  return new HashingVectorizer(options).transform(texts);
}
