/**
 * How far predicted probabilities are from observed frequencies. Expected calibration error (ECE):
 * rows are binned by their top-class probability into equal-width bins over [0, 1] (the first bin
 * closed, the others (lo, hi]), and ECE = sum over bins of (rows in bin / n) * |accuracy - mean
 * confidence|. The Brier score is the mean over rows of sum_k (p_k - [k is the true label])^2, from
 * 0 (certain and right) to 2 (certain and wrong). A true label with no probability column counts as
 * wrong with probability 0.
 */

export interface CalibrationOptions {
  /** Equal-width confidence bins of the ECE. Default 15 (as in Guo et al. 2017). */
  bins: number;
}

export const defaultCalibrationOptions: CalibrationOptions = { bins: 15 };

function trueColumns(yTrue: ArrayLike<number>, labelNames: readonly string[], probaLabels: readonly string[]): Int32Array {
  const column = new Map(probaLabels.map((l, i) => [l, i]));
  return Int32Array.from({ length: yTrue.length }, (_, i) => column.get(labelNames[yTrue[i]]) ?? -1);
}

/** `proba` is rows x probaLabels.length, row-major; `yTrue` indexes `labelNames`. */
export function expectedCalibrationError(
  yTrue: ArrayLike<number>,
  labelNames: readonly string[],
  proba: ArrayLike<number>,
  probaLabels: readonly string[],
  options: Partial<CalibrationOptions> = {},
): number {
  const { bins } = { ...defaultCalibrationOptions, ...options };
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be an integer >= 1, got ${bins}`);
  const K = probaLabels.length;
  const n = yTrue.length;
  if (n === 0) return 0;
  const truth = trueColumns(yTrue, labelNames, probaLabels);
  const count = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  const correct = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (proba[i * K + k] > proba[i * K + best]) best = k;
    const p = proba[i * K + best];
    const bin = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    count[bin]++;
    confidence[bin] += p;
    if (best === truth[i]) correct[bin]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) ece += (count[b] / n) * Math.abs(correct[b] / count[b] - confidence[b] / count[b]);
  return ece;
}

export function brierScore(
  yTrue: ArrayLike<number>,
  labelNames: readonly string[],
  proba: ArrayLike<number>,
  probaLabels: readonly string[],
): number {
  const K = probaLabels.length;
  const n = yTrue.length;
  if (n === 0) return 0;
  const truth = trueColumns(yTrue, labelNames, probaLabels);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const d = proba[i * K + k] - (k === truth[i] ? 1 : 0);
      sum += d * d;
    }
    if (truth[i] === -1) sum += 1;
  }
  return sum / n;
}
