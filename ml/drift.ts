/**
 * Drift between two datasets, from compact profiles (so a snapshot stores its profile and the next
 * run compares against it without reading old rows): label distribution (L-infinity and PSI),
 * token distribution over a coarse hash histogram (Jensen-Shannon divergence, base 2, in [0, 1]),
 * share of the new tokens that fall in buckets the old data never used, document lengths, rows.
 */
import { defaultTokenizerOptions, type TokenizerOptions } from './tokenize.ts';
import { forEachTokenHash } from './token-hasher.ts';

export const PROFILE_BUCKETS = 1024;

export interface LengthSummary {
  min: number;
  p50: number;
  p90: number;
  max: number;
  mean: number;
}

export interface DatasetProfile {
  rows: number;
  labelCounts: Record<string, number>;
  /** Token counts per coarse hash bucket (PROFILE_BUCKETS of them). */
  tokenHistogram: number[];
  /** Document length in tokens. */
  lengths: LengthSummary;
}

export interface DriftReport {
  rows: { previous: number; current: number };
  labelLInf: number;
  labelPsi: number;
  tokenJensenShannon: number;
  unseenBucketShare: number;
  lengths: { previous: LengthSummary; current: LengthSummary };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function profileDataset(
  rows: ReadonlyArray<{ text: string; label: string }>,
  tokenizer: TokenizerOptions = defaultTokenizerOptions,
): DatasetProfile {
  const builder = new ProfileBuilder(tokenizer);
  for (const row of rows) builder.add(row);
  return builder.build();
}

/** profileDataset one row at a time, for a pass over a window in pages (only a length per row is kept). */
export class ProfileBuilder {
  private readonly labelCounts: Record<string, number> = {};
  private readonly hist = new Array<number>(PROFILE_BUCKETS).fill(0);
  private lengths = new Int32Array(1024);
  private rows = 0;
  private readonly unigrams: TokenizerOptions;

  constructor(tokenizer: TokenizerOptions = defaultTokenizerOptions) {
    this.unigrams = { ...tokenizer, bigrams: false };
  }

  add(row: { text: string; label: string }): void {
    this.labelCounts[row.label] = (this.labelCounts[row.label] ?? 0) + 1;
    let len = 0;
    const hist = this.hist;
    forEachTokenHash(row.text, this.unigrams, 0, (h) => {
      hist[h % PROFILE_BUCKETS]++;
      len++;
    });
    if (this.rows === this.lengths.length) {
      const grown = new Int32Array(this.lengths.length * 2);
      grown.set(this.lengths);
      this.lengths = grown;
    }
    this.lengths[this.rows++] = len;
  }

  build(): DatasetProfile {
    const lengths = Array.from(this.lengths.subarray(0, this.rows)).sort((a, b) => a - b);
    const mean = lengths.length ? lengths.reduce((s, v) => s + v, 0) / lengths.length : 0;
    return {
      rows: this.rows,
      labelCounts: { ...this.labelCounts },
      tokenHistogram: [...this.hist],
      lengths: {
        min: lengths[0] ?? 0,
        p50: quantile(lengths, 0.5),
        p90: quantile(lengths, 0.9),
        max: lengths[lengths.length - 1] ?? 0,
        mean,
      },
    };
  }
}

function distribution(counts: Record<string, number>, keys: string[]): number[] {
  const total = keys.reduce((s, k) => s + (counts[k] ?? 0), 0);
  return keys.map((k) => (total === 0 ? 0 : (counts[k] ?? 0) / total));
}

/** Population stability index; empty bins get a floor of 1e-4 so the log stays finite. */
export function psi(expected: number[], actual: number[]): number {
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], 1e-4);
    const a = Math.max(actual[i], 1e-4);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

export function jensenShannon(p: number[], q: number[]): number {
  const sp = p.reduce((s, v) => s + v, 0);
  const sq = q.reduce((s, v) => s + v, 0);
  if (sp === 0 || sq === 0) return sp === sq ? 0 : 1;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / sp;
    const b = q[i] / sq;
    const m = (a + b) / 2;
    if (a > 0) js += 0.5 * a * Math.log2(a / m);
    if (b > 0) js += 0.5 * b * Math.log2(b / m);
  }
  return Math.max(0, Math.min(1, js));
}

export function compareProfiles(previous: DatasetProfile, current: DatasetProfile): DriftReport {
  const labels = [...new Set([...Object.keys(previous.labelCounts), ...Object.keys(current.labelCounts)])].sort();
  const pl = distribution(previous.labelCounts, labels);
  const cl = distribution(current.labelCounts, labels);
  let unseen = 0;
  let total = 0;
  for (let i = 0; i < PROFILE_BUCKETS; i++) {
    total += current.tokenHistogram[i];
    if (previous.tokenHistogram[i] === 0) unseen += current.tokenHistogram[i];
  }
  return {
    rows: { previous: previous.rows, current: current.rows },
    labelLInf: labels.reduce((m, _, i) => Math.max(m, Math.abs(pl[i] - cl[i])), 0),
    labelPsi: psi(pl, cl),
    tokenJensenShannon: jensenShannon(previous.tokenHistogram, current.tokenHistogram),
    unseenBucketShare: total === 0 ? 0 : unseen / total,
    lengths: { previous: previous.lengths, current: current.lengths },
  };
}

/** The drift numbers a run carries (without the length summaries). */
export type DriftNumbers = Omit<DriftReport, 'lengths'>;

export interface DriftReading extends DriftNumbers {
  /** One line a person reads, e.g. "tokens: small shift (JS 0.031); labels: stable (PSI 0.004); unseen tokens 1.2%". */
  reading: string;
  level: 'none' | 'small' | 'moderate' | 'large';
}

const LEVELS = ['none', 'small', 'moderate', 'large'] as const;

/**
 * A plain reading of drift. Label PSI uses the usual rule of thumb (< 0.1 stable, < 0.25 moderate,
 * else large); the token Jensen-Shannon divergence (base 2, in [0, 1]) over the coarse histogram is
 * read as < 0.02 none, < 0.05 small, < 0.15 moderate, else large.
 */
export function readDrift(d: DriftNumbers): DriftReading {
  const tokenLevel = d.tokenJensenShannon < 0.02 ? 0 : d.tokenJensenShannon < 0.05 ? 1 : d.tokenJensenShannon < 0.15 ? 2 : 3;
  const labelLevel = d.labelPsi < 0.1 ? 0 : d.labelPsi < 0.25 ? 2 : 3;
  const word = (level: number): string => (level === 0 ? 'stable' : `${LEVELS[level]} shift`);
  const reading =
    `tokens: ${word(tokenLevel)} (JS ${d.tokenJensenShannon.toFixed(3)}); ` +
    `labels: ${word(labelLevel)} (PSI ${d.labelPsi.toFixed(3)}); ` +
    `unseen tokens ${(100 * d.unseenBucketShare).toFixed(1)}%; rows ${d.rows.previous} -> ${d.rows.current}`;
  return { ...d, reading, level: LEVELS[Math.max(tokenLevel, labelLevel)] };
}

/** The drift numbers without the length summaries (what payloads and decision records carry). */
export function driftNumbers(report: DriftReport): DriftNumbers {
  const { lengths: _lengths, ...numbers } = report;
  return numbers;
}
