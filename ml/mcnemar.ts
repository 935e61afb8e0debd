/**
 * Exact McNemar test on paired predictions: of the rows where exactly one model is right, b are
 * the champion's and c the candidate's. Under "no difference" c ~ Binomial(b + c, 1/2).
 */
export interface McNemarResult {
  /** Rows only the champion classified correctly. */
  championOnly: number;
  /** Rows only the candidate classified correctly. */
  candidateOnly: number;
  /** One-sided p-value for "the candidate is better": P(X >= c). */
  pValueCandidateBetter: number;
  /** Two-sided p-value: min(1, 2 * P(X <= min(b, c))). */
  pValueTwoSided: number;
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log((n - k + i) / i);
  return s;
}

/** P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so large n stays exact enough. */
export function binomialHalfCdf(k: number, n: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  const logHalfN = -n * Math.LN2;
  let total = 0;
  for (let i = 0; i <= k; i++) total += Math.exp(logChoose(n, i) + logHalfN);
  return Math.min(1, total);
}

export function mcnemarExact(championCorrect: ArrayLike<boolean>, candidateCorrect: ArrayLike<boolean>): McNemarResult {
  if (championCorrect.length !== candidateCorrect.length) {
    throw new Error(`McNemar needs paired predictions: ${championCorrect.length} vs ${candidateCorrect.length} rows`);
  }
  let b = 0;
  let c = 0;
  for (let i = 0; i < championCorrect.length; i++) {
    if (championCorrect[i] && !candidateCorrect[i]) b++;
    else if (!championCorrect[i] && candidateCorrect[i]) c++;
  }
  const n = b + c;
  return {
    championOnly: b,
    candidateOnly: c,
    pValueCandidateBetter: n === 0 ? 1 : binomialHalfCdf(n - c, n), // P(X >= c) = P(X <= n - c) by symmetry
    pValueTwoSided: n === 0 ? 1 : Math.min(1, 2 * binomialHalfCdf(Math.min(b, c), n)),
  };
}
