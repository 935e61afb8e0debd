/**
 * The regression counterpart of McNemar's test: a Wilcoxon signed-rank test on paired squared
 * errors, d_i = championError_i - candidateError_i (positive where the candidate is closer). As
 * scipy.stats.wilcoxon(d, zero_method='wilcox', correction=False): zero differences are dropped, the
 * statistic is R+, the sum of the ranks (average ranks for ties) of the positive differences; the
 * p-value is exact (the null distribution of R+ over the 2^n sign patterns) for n <= 50 with no ties
 * and no zeros, else from the normal approximation with the tie-corrected variance.
 */
import { MlError } from '../errors.ts';

export interface PairedErrorTest {
  /** Rows compared (zero differences included). */
  rows: number;
  /** Rows where the champion's error is smaller. */
  championBetter: number;
  /** Rows where the candidate's error is smaller. */
  candidateBetter: number;
  /** Sum of the ranks of the candidate-better rows (scipy's statistic for alternative='greater'). */
  rankSumCandidateBetter: number;
  method: 'exact' | 'normal';
  /** One-sided p-value for "the candidate's errors are smaller". */
  pValueCandidateBetter: number;
  /** Two-sided p-value. */
  pValueTwoSided: number;
  /** Mean of championError - candidateError (the MSE improvement). */
  meanImprovement: number;
}

/** Exact below this many non-zero differences (and with no ties or zeros). */
export const EXACT_WILCOXON_MAX_ROWS = 50;

/** erfc(x) for x >= 0: a positive series (no cancellation) below 5, Lentz's continued fraction above. */
function erfc(x: number): number {
  if (x < 5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 500 && term > sum * 1e-17; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  }
  // erfc(x) = exp(-x²)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  const half = 0.5 * erfc(Math.abs(z) / Math.SQRT2);
  return z >= 0 ? half : 1 - half;
}

/** Counts of sign patterns of 1..n with each rank sum 0..n(n+1)/2. */
function signedRankCounts(n: number): Float64Array {
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let r = 1; r <= n; r++) for (let s = (r * (r + 1)) / 2; s >= r; s--) counts[s] += counts[s - r];
  return counts;
}

export function wilcoxonSquaredErrors(championErrors: ArrayLike<number>, candidateErrors: ArrayLike<number>): PairedErrorTest {
  if (championErrors.length !== candidateErrors.length) {
    throw new MlError('InvalidTestData', `the paired test needs paired errors: ${championErrors.length} vs ${candidateErrors.length} rows`);
  }
  const rows = championErrors.length;
  const d: number[] = [];
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const di = championErrors[i] - candidateErrors[i];
    if (!Number.isFinite(di)) throw new MlError('InvalidTestData', `the paired test: row ${i + 1} has a non-finite error`);
    total += di;
    if (di !== 0) d.push(di);
  }
  const n = d.length;
  const order = d.map((_, i) => i).sort((a, b) => Math.abs(d[a]) - Math.abs(d[b]));
  let rPlus = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && Math.abs(d[order[j + 1]]) === Math.abs(d[order[i]])) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (d[order[t]] > 0) rPlus += rank;
    const size = j - i + 1;
    tieTerm += size ** 3 - size;
    i = j + 1;
  }
  const candidateBetter = d.filter((x) => x > 0).length;
  const base = {
    rows,
    championBetter: n - candidateBetter,
    candidateBetter,
    rankSumCandidateBetter: rPlus,
    meanImprovement: rows ? total / rows : 0,
  };
  if (n === 0) return { ...base, method: 'exact', pValueCandidateBetter: 1, pValueTwoSided: 1 };
  if (n <= EXACT_WILCOXON_MAX_ROWS && tieTerm === 0 && n === rows) {
    const counts = signedRankCounts(n);
    const all = 2 ** n;
    let sf = 0;
    for (let s = rPlus; s < counts.length; s++) sf += counts[s];
    let cdf = 0;
    for (let s = 0; s <= rPlus; s++) cdf += counts[s];
    return { ...base, method: 'exact', pValueCandidateBetter: sf / all, pValueTwoSided: Math.min(1, (2 * Math.min(sf, cdf)) / all) };
  }
  const mean = (n * (n + 1)) / 4;
  const se = Math.sqrt((n * (n + 1) * (2 * n + 1) - tieTerm / 2) / 24);
  const z = (rPlus - mean) / se;
  return { ...base, method: 'normal', pValueCandidateBetter: normalSf(z), pValueTwoSided: Math.min(1, 2 * normalSf(Math.abs(z))) };
}
