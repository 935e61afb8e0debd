/**
 * Classification metrics with scikit-learn's conventions: labels are those present in the truth or
 * the predictions (sorted), a ratio with a zero denominator is 0 (zero_division=0), F1 is
 * 2TP / (2TP + FP + FN), log loss clips probabilities to [eps, 1 - eps] with float64 eps, and the
 * binary ROC AUC scores the second label (in sorted order) as positive with tied scores averaged.
 * With probabilities, calibration (ECE, Brier score) is reported too (calibration.ts).
 */
import { brierScore, expectedCalibrationError } from './calibration.ts';

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationMetrics {
  examples: number;
  accuracy: number;
  /** Macro averages, the monitored precision / recall / F1. */
  precision: number;
  recall: number;
  f1: number;
  macro: AveragedScores;
  micro: AveragedScores;
  weighted: AveragedScores;
  perClass: Record<string, ClassScores>;
  confusionMatrix: { labels: string[]; matrix: number[][] };
  logLoss?: number;
  rocAuc?: number;
  /** Expected calibration error of the top-class probability (15 bins), when probabilities are given. */
  ece?: number;
  /** Brier score (mean squared distance of the probabilities from the one-hot truth), when probabilities are given. */
  brier?: number;
}

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/**
 * `yTrue` and `yPred` are indices into `labelNames`. `proba` (rows x probaLabels.length, row-major)
 * gives log loss and, for two labels, ROC AUC; `probaLabels` are the labels of its columns.
 */
export function classificationMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  labelNames: readonly string[],
  proba?: { values: ArrayLike<number>; labels: readonly string[] },
): ClassificationMetrics {
  const n = yTrue.length;
  if (yPred.length !== n) throw new Error(`metrics: ${n} true labels but ${yPred.length} predictions`);
  const present = new Set<number>();
  for (let i = 0; i < n; i++) {
    present.add(yTrue[i]);
    present.add(yPred[i]);
  }
  const indices = [...present].sort((a, b) => (labelNames[a] < labelNames[b] ? -1 : labelNames[a] > labelNames[b] ? 1 : 0));
  const position = new Map(indices.map((l, i) => [l, i]));
  const L = indices.length;
  const matrix = Array.from({ length: L }, () => new Array<number>(L).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    matrix[position.get(yTrue[i])!][position.get(yPred[i])!]++;
    if (yTrue[i] === yPred[i]) correct++;
  }

  const perClass: Record<string, ClassScores> = {};
  let tpSum = 0;
  let predSum = 0;
  let trueSum = 0;
  const macro = { precision: 0, recall: 0, f1: 0 };
  const weighted = { precision: 0, recall: 0, f1: 0 };
  for (let c = 0; c < L; c++) {
    const tp = matrix[c][c];
    let predicted = 0;
    let actual = 0;
    for (let o = 0; o < L; o++) {
      predicted += matrix[o][c];
      actual += matrix[c][o];
    }
    const scores: ClassScores = {
      precision: ratio(tp, predicted),
      recall: ratio(tp, actual),
      f1: ratio(2 * tp, predicted + actual),
      support: actual,
    };
    perClass[labelNames[indices[c]]] = scores;
    tpSum += tp;
    predSum += predicted;
    trueSum += actual;
    macro.precision += scores.precision / L;
    macro.recall += scores.recall / L;
    macro.f1 += scores.f1 / L;
    weighted.precision += scores.precision * actual;
    weighted.recall += scores.recall * actual;
    weighted.f1 += scores.f1 * actual;
  }
  weighted.precision = ratio(weighted.precision, trueSum);
  weighted.recall = ratio(weighted.recall, trueSum);
  weighted.f1 = ratio(weighted.f1, trueSum);
  const micro = {
    precision: ratio(tpSum, predSum),
    recall: ratio(tpSum, trueSum),
    f1: ratio(2 * tpSum, predSum + trueSum),
  };

  const result: ClassificationMetrics = {
    examples: n,
    accuracy: ratio(correct, n),
    precision: macro.precision,
    recall: macro.recall,
    f1: macro.f1,
    macro,
    micro,
    weighted,
    perClass,
    confusionMatrix: { labels: indices.map((i) => labelNames[i]), matrix },
  };
  if (proba) {
    result.logLoss = logLoss(yTrue, labelNames, proba.values, proba.labels);
    result.ece = expectedCalibrationError(yTrue, labelNames, proba.values, proba.labels);
    result.brier = brierScore(yTrue, labelNames, proba.values, proba.labels);
    if (proba.labels.length === 2) {
      const sorted = [...proba.labels].sort();
      const positive = sorted[1];
      const col = proba.labels.indexOf(positive);
      const scores = Array.from({ length: n }, (_, i) => proba.values[i * 2 + col]);
      const isPositive = Array.from({ length: n }, (_, i) => labelNames[yTrue[i]] === positive);
      const auc = rocAuc(isPositive, scores);
      if (auc !== null) result.rocAuc = auc;
    }
  }
  return result;
}

const EPS = 2.220446049250313e-16;

/** Mean negative log-likelihood of the true label; a true label with no column scores eps. */
export function logLoss(
  yTrue: ArrayLike<number>,
  labelNames: readonly string[],
  proba: ArrayLike<number>,
  probaLabels: readonly string[],
): number {
  const K = probaLabels.length;
  const column = new Map(probaLabels.map((l, i) => [l, i]));
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const c = column.get(labelNames[yTrue[i]]);
    const p = c === undefined ? EPS : Math.min(1 - EPS, Math.max(EPS, proba[i * K + c]));
    sum -= Math.log(p);
  }
  return sum / yTrue.length;
}

/** Area under the ROC curve (Mann-Whitney with average ranks for ties); null with one class only. */
export function rocAuc(isPositive: readonly boolean[], scores: readonly number[]): number | null {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (isPositive[order[t]]) {
        nPos++;
        rankSumPos += avgRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
