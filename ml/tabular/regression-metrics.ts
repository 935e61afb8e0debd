/**
 * Regression metrics with scikit-learn's conventions: MSE, RMSE (sqrt of MSE), MAE, R² (1 - SS_res /
 * SS_tot; with constant truth, SS_tot = 0, R² is 1 for perfect predictions and 0 otherwise, as
 * r2_score's force_finite), and the mean error (bias) mean(pred - truth): positive when the model
 * predicts too high. Sums are compensated (Neumaier) so they agree with NumPy's pairwise sums to 1e-9
 * on large offsets too. Lower is better for all but R² (higher) and mean error (closest to 0).
 */
import { MlError } from '../errors.ts';

export interface RegressionMetrics {
  examples: number;
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
  meanError: number;
}

/** The judge's direction for each metric (mean error has none: it is read, not ranked). */
export const REGRESSION_DIRECTIONS = { mse: 'lower', rmse: 'lower', mae: 'lower', r2: 'higher' } as const;

/** A running sum with Neumaier's compensation. */
export class CompensatedSum {
  private sum = 0;
  private c = 0;

  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.c += this.sum - t + x;
    else this.c += x - t + this.sum;
    this.sum = t;
  }

  value(): number {
    return this.sum + this.c;
  }
}

/** Squared error of each row, (truth - pred)^2: the paired test's input. */
export function squaredErrors(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): Float64Array {
  checkPaired(yTrue, yPred);
  return Float64Array.from({ length: yTrue.length }, (_, i) => (yTrue[i] - yPred[i]) ** 2);
}

function checkPaired(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length)
    throw new MlError('InvalidTestData', `metrics: ${yTrue.length} true values but ${yPred.length} predictions`);
  if (yTrue.length === 0) throw new MlError('InvalidTestData', 'metrics: no rows to measure');
}

export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionMetrics {
  checkPaired(yTrue, yPred);
  const n = yTrue.length;
  const truthSum = new CompensatedSum();
  for (let i = 0; i < n; i++) truthSum.add(yTrue[i]);
  const mean = truthSum.value() / n;
  const sq = new CompensatedSum();
  const abs = new CompensatedSum();
  const err = new CompensatedSum();
  const tot = new CompensatedSum();
  for (let i = 0; i < n; i++) {
    const e = yPred[i] - yTrue[i];
    if (!Number.isFinite(e)) throw new MlError('InvalidTestData', `metrics: row ${i + 1} has a non-finite truth or prediction`);
    sq.add(e * e);
    abs.add(Math.abs(e));
    err.add(e);
    tot.add((yTrue[i] - mean) ** 2);
  }
  const ssRes = sq.value();
  const ssTot = tot.value();
  const mse = ssRes / n;
  return {
    examples: n,
    mse,
    rmse: Math.sqrt(mse),
    mae: abs.value() / n,
    r2: ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot,
    meanError: err.value() / n,
  };
}
