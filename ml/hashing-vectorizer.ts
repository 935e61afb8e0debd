/**
 * Feature hashing: tokens -> MurmurHash3 (bigrams: bigramHash of the two; character n-grams of each
 * word: murmur3 with their own seed) -> bucket -> term weight -> optional IDF -> optional L2
 * normalisation. Produces CSR rows with sorted indices so that the same text always yields the same bytes.
 */
import { CsrBuilder, type CsrMatrix } from './sparse.ts';
import { defaultTokenizerOptions, type TokenizerOptions } from './tokenize.ts';
import { forEachTokenHash, type CharNgramRange } from './token-hasher.ts';
import { MlError } from './errors.ts';

export type TermWeighting = 'binary' | 'count' | 'log1p';
/** 'auto' decides from the training texts (see `resolveCharNgrams`); a trained model records 'on' or 'off'. */
export type CharNgramMode = 'auto' | 'on' | 'off';

export interface FeaturizerOptions extends TokenizerOptions {
  /** Number of hash buckets (features). Default 2^18. */
  buckets: number;
  /** binary: 1 per present token; count: raw count; log1p: log(1 + count) (sublinear tf). Default log1p. */
  weighting: TermWeighting;
  /** Multiply each term weight by its smoothed inverse document frequency in the training rows. Default false (no gain on the earlier suite, scored on its held-out rows). */
  idf: boolean;
  /** Scale each row to unit L2 norm. Default true. */
  normalize: boolean;
  /** Hash seed. Default 0 (scikit-learn's). */
  hashSeed: number;
  /** Character n-grams of each word (" word " padded): on, off, or auto (on for short texts). Default auto. */
  charNgrams: CharNgramMode;
  /** Shortest character n-gram. Default 2. */
  charNgramMin: number;
  /** Longest character n-gram. Default 4. */
  charNgramMax: number;
}

export const defaultFeaturizerOptions: FeaturizerOptions = {
  ...defaultTokenizerOptions,
  bigrams: false,
  buckets: 1 << 18,
  weighting: 'log1p',
  idf: false,
  normalize: true,
  hashSeed: 0,
  charNgrams: 'auto',
  charNgramMin: 2,
  charNgramMax: 4,
};

/**
 * The settings of models written before an option existed: decoding an old model file fills these
 * in, so it featurizes as it was trained (never with today's defaults).
 */
export const legacyFeaturizerOptions: Pick<FeaturizerOptions, 'idf' | 'charNgrams' | 'charNgramMin' | 'charNgramMax'> = {
  idf: false,
  charNgrams: 'off',
  charNgramMin: 2,
  charNgramMax: 4,
};

/**
 * With charNgrams 'auto', texts averaging at most this many characters get character n-grams: names
 * and single words, where words alone cannot generalise (first names -> gender: 0.90 accuracy with
 * them; the peers on words alone 0.57: bench/results/suite-first-names.txt). On sentences they cost 10-20x the
 * featurizing time for -2 to +2 points (an earlier suite, scored on its held-out rows).
 */
export const AUTO_CHAR_NGRAM_MAX_MEAN_LENGTH = 32;

export function checkFeaturizerOptions(options: FeaturizerOptions): void {
  const bad = (msg: string): never => {
    throw new MlError('InvalidOptions', msg);
  };
  const { buckets, minTokenLength, maxTokenLength, weighting, charNgrams, charNgramMin, charNgramMax } = options;
  if (!Number.isInteger(buckets) || buckets < 2 || buckets > 1 << 24) bad(`buckets must be an integer in [2, 16777216], got ${buckets}`);
  if (!Number.isInteger(minTokenLength) || minTokenLength < 1) bad(`minTokenLength must be an integer >= 1, got ${minTokenLength}`);
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < minTokenLength) {
    bad(`maxTokenLength must be an integer >= minTokenLength, got ${maxTokenLength}`);
  }
  if (!['binary', 'count', 'log1p'].includes(weighting)) bad(`weighting must be binary, count or log1p, got ${String(weighting)}`);
  if (typeof options.idf !== 'boolean') bad(`idf must be true or false, got ${String(options.idf)}`);
  if (typeof options.normalize !== 'boolean') bad(`normalize must be true or false, got ${String(options.normalize)}`);
  if (!['auto', 'on', 'off'].includes(charNgrams)) bad(`charNgrams must be auto, on or off, got ${String(charNgrams)}`);
  if (!Number.isInteger(charNgramMin) || charNgramMin < 1 || charNgramMin > 16) {
    bad(`charNgramMin must be an integer in [1, 16], got ${charNgramMin}`);
  }
  if (!Number.isInteger(charNgramMax) || charNgramMax < charNgramMin || charNgramMax > 16) {
    bad(`charNgramMax must be an integer in [charNgramMin, 16], got ${charNgramMax}`);
  }
}

export function resolveFeaturizerOptions(partial: Partial<FeaturizerOptions> = {}): FeaturizerOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const options = { ...defaultFeaturizerOptions, ...defined } as FeaturizerOptions;
  checkFeaturizerOptions(options);
  return options;
}

/** Settles charNgrams 'auto' on training texts: on when they average at most AUTO_CHAR_NGRAM_MAX_MEAN_LENGTH characters. */
export function resolveCharNgrams(options: FeaturizerOptions, texts: readonly string[]): FeaturizerOptions {
  if (options.charNgrams !== 'auto') return options;
  let total = 0;
  for (const t of texts) total += t.length;
  return settleCharNgrams(options, texts.length > 0 ? total / texts.length : null);
}

/** Settles charNgrams 'auto' from the training texts' mean length (null: no texts, so off). */
export function settleCharNgrams(options: FeaturizerOptions, meanLength: number | null): FeaturizerOptions {
  if (options.charNgrams !== 'auto') return options;
  const short = meanLength !== null && meanLength <= AUTO_CHAR_NGRAM_MAX_MEAN_LENGTH;
  return { ...options, charNgrams: short ? 'on' : 'off' };
}

/** Smoothed inverse document frequency of each bucket in `x`: ln((1 + n) / (1 + df)) + 1 (scikit-learn's). */
export function inverseDocumentFrequency(x: CsrMatrix): Float32Array {
  const df = new Float64Array(x.cols);
  for (let p = 0; p < x.indices.length; p++) df[x.indices[p]]++;
  return idfFromDocumentFrequency(df, x.rows);
}

/** IDF weights from per-bucket document frequencies over `rows` documents (for a streamed count pass). */
export function idfFromDocumentFrequency(df: Float64Array, rows: number): Float32Array {
  const idf = new Float32Array(df.length);
  for (let j = 0; j < df.length; j++) idf[j] = Math.log((1 + rows) / (1 + df[j])) + 1;
  return idf;
}

/**
 * The settings that decide a text's hashed buckets and counts (not the weighting, IDF or
 * normalisation applied on top): stored counts are reusable exactly when this key matches.
 */
export function countingKey(o: FeaturizerOptions): string {
  if (o.charNgrams === 'auto') throw new MlError('InvalidOptions', "charNgrams 'auto' must be settled before counting");
  const parts: Array<number | string | boolean> = [o.buckets, o.hashSeed, o.minTokenLength, o.maxTokenLength, o.bigrams, o.charNgrams];
  if (o.charNgrams === 'on') parts.push(o.charNgramMin, o.charNgramMax);
  return `v1:${parts.join(':')}`;
}

/** Reusable per-thread scratch space; a vectorizer is not re-entrant. */
export class HashingVectorizer {
  readonly options: FeaturizerOptions;
  /** Per-bucket IDF weights: required when options.idf, set by `fitTransform` or given. */
  idf: Float32Array | null;
  private readonly counts: Float64Array;
  private touched: Int32Array;
  private nTouched = 0;
  private readonly rowValues: number[] = [];
  private rowCounts = new Float64Array(4096);
  private readonly charNgrams: CharNgramRange | undefined;
  private readonly buckets: number;
  private readonly mask: number;

  constructor(options: Partial<FeaturizerOptions> = {}, idf: Float32Array | null = null) {
    this.options = resolveFeaturizerOptions(options);
    if (this.options.charNgrams === 'auto') {
      throw new MlError('InvalidOptions', "charNgrams 'auto' must be settled on the training texts first (resolveCharNgrams)");
    }
    if (idf !== null && idf.length !== this.options.buckets) {
      throw new MlError('InvalidOptions', `idf has ${idf.length} weights, the featurizer ${this.options.buckets} buckets`);
    }
    this.idf = idf;
    this.counts = new Float64Array(this.options.buckets);
    this.buckets = this.options.buckets;
    this.mask = (this.buckets & (this.buckets - 1)) === 0 ? this.buckets - 1 : -1;
    this.touched = new Int32Array(4096);
    this.charNgrams = this.options.charNgrams === 'on' ? { min: this.options.charNgramMin, max: this.options.charNgramMax } : undefined;
  }

  private readonly addHash = (hash: number): void => {
    // A mask when buckets is a power of two: the same bucket as hash % buckets, without a float modulo
    // (an unsigned 32-bit hash is not a small integer to V8).
    const bucket = this.mask >= 0 ? hash & this.mask : hash % this.buckets;
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

  /**
   * Hashes one text into its sorted buckets and their raw counts, passed to `emit` (views valid
   * only during the call). What the feature store keeps; `weighCounts` turns counts into features.
   */
  countRow(text: string, emit: (indices: Int32Array, counts: Float64Array, n: number) => void): void {
    this.nTouched = 0;
    forEachTokenHash(text, this.options, this.options.hashSeed, this.addHash, this.charNgrams);
    const n = this.nTouched;
    const idx = this.touched.subarray(0, n).sort();
    if (this.rowCounts.length < n) this.rowCounts = new Float64Array(Math.max(n, this.rowCounts.length * 2));
    const counts = this.rowCounts;
    for (let i = 0; i < n; i++) {
      counts[i] = this.counts[idx[i]];
      this.counts[idx[i]] = 0;
    }
    emit(idx, counts, n);
  }

  /**
   * Term weight, optional IDF and optional L2 normalisation of one counted row (the `n` sorted
   * buckets and their counts), into `values`. The one place that turns counts into features, for
   * texts and for stored counts alike, so both give the same bits.
   */
  private weighRow(indices: ArrayLike<number>, counts: ArrayLike<number>, n: number, idf: Float32Array | null, values: number[]): void {
    values.length = n;
    const weighting = this.options.weighting;
    let norm = 0;
    for (let i = 0; i < n; i++) {
      const c = counts[i];
      let w = weighting === 'binary' ? 1 : weighting === 'count' ? c : Math.log1p(c);
      // Rounded to float32 before and after the product (the IDF weights' precision), as models
      // trained with IDF always were, so they featurize as they were trained.
      if (idf !== null) w = Math.fround(Math.fround(w) * idf[indices[i]]);
      values[i] = w;
      norm += w * w;
    }
    if (this.options.normalize && norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < n; i++) values[i] *= inv;
    }
  }

  /** The IDF weights `transform` applies: null when the options do not weigh by IDF; an error when they do and none are set. */
  private appliedIdf(): Float32Array | null {
    if (this.options.idf && this.idf === null) {
      throw new MlError('InvalidOptions', 'this featurizer weighs by IDF but has no IDF weights: fitTransform the training texts first');
    }
    return this.options.idf ? this.idf : null;
  }

  transform(texts: readonly string[]): CsrMatrix {
    const idf = this.appliedIdf();
    const builder = new CsrBuilder(this.options.buckets);
    const values = this.rowValues;
    for (const text of texts) {
      this.countRow(text, (indices, counts, n) => {
        this.weighRow(indices, counts, n, idf, values);
        builder.addRow(indices, values, n);
      });
    }
    return builder.build();
  }

  /** Raw counts of texts, a row each (as the feature store keeps them); `weighCounts` turns them into features. */
  countTexts(texts: readonly string[]): CsrMatrix {
    const builder = new CsrBuilder(this.options.buckets);
    for (const text of texts) this.countRow(text, (indices, counts, n) => builder.addRow(indices, counts, n));
    return builder.build();
  }

  /** Features of counted rows (countTexts, or counts read back from the store): what `transform` gives for their texts. */
  weighCounts(counts: CsrMatrix): CsrMatrix {
    const idf = this.appliedIdf();
    const builder = new CsrBuilder(this.options.buckets);
    const values = this.rowValues;
    const { indptr } = counts;
    for (let r = 0; r < counts.rows; r++) {
      const indices = counts.indices.subarray(indptr[r], indptr[r + 1]);
      const n = indices.length;
      this.weighRow(indices, counts.values.subarray(indptr[r], indptr[r + 1]), n, idf, values);
      builder.addRow(indices, values, n);
    }
    return builder.build();
  }

  /** Transforms the training texts, learning the IDF weights from their counts first when options.idf. */
  fitTransform(texts: readonly string[]): CsrMatrix {
    if (!this.options.idf) return this.transform(texts);
    const counts = this.countTexts(texts);
    this.idf = inverseDocumentFrequency(counts);
    return this.weighCounts(counts);
  }
}

/** Hashes texts without fitted state: IDF off, character n-grams only when 'on' (not 'auto'). */
export function hashTexts(texts: readonly string[], options: Partial<FeaturizerOptions> = {}): CsrMatrix {
  return new HashingVectorizer({ ...options, idf: false, charNgrams: options.charNgrams === 'on' ? 'on' : 'off' }).transform(texts);
}
