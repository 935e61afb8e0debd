import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MlError } from '../../ml/errors.ts';
import { normalSf, wilcoxonSquaredErrors } from '../../ml/tabular/paired-test.ts';
import { regressionMetrics, squaredErrors } from '../../ml/tabular/regression-metrics.ts';

interface MetricsCase {
  name: string;
  y_true: number[];
  y_pred: number[];
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
  mean_error: number;
}
interface PairedCase {
  name: string;
  y_true: number[];
  champion: number[];
  candidate: number[];
  method: 'exact' | 'normal';
  rank_sum_candidate_better: number;
  p_greater: number;
  p_two_sided: number;
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/regression-metrics.json', import.meta.url), 'utf8')) as {
  metrics: MetricsCase[];
  paired: PairedCase[];
};

/** Within 1e-9 absolutely, and relatively too for the tiny p-values the normal tail gives. */
const close = (actual: number, expected: number): void => {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9);
  if (expected !== 0 && Math.abs(expected) < 1e-3) expect(Math.abs(actual / expected - 1)).toBeLessThanOrEqual(1e-9);
};

describe('regression metrics agree with scikit-learn to 1e-9', () => {
  it('has the fixtures it checks', () => expect(fixtures.metrics.length).toBeGreaterThanOrEqual(7));
  for (const c of fixtures.metrics) {
    it(c.name, () => {
      const m = regressionMetrics(c.y_true, c.y_pred);
      expect(m.examples).toBe(c.y_true.length);
      close(m.mse, c.mse);
      close(m.rmse, c.rmse);
      close(m.mae, c.mae);
      close(m.r2, c.r2);
      close(m.meanError, c.mean_error);
    });
  }

  it('refuses unpaired, empty and non-finite input', () => {
    expect(() => regressionMetrics([1, 2], [1])).toThrow(MlError);
    expect(() => regressionMetrics([], [])).toThrow(/no rows/);
    expect(() => regressionMetrics([1, 2], [1, Number.NaN])).toThrow(/row 2/);
  });
});

describe("the paired Wilcoxon test agrees with scipy's wilcoxon to 1e-9", () => {
  it('has the fixtures it checks, exact and normal', () => {
    expect(new Set(fixtures.paired.map((c) => c.method))).toEqual(new Set(['exact', 'normal']));
  });
  for (const c of fixtures.paired) {
    it(c.name, () => {
      const t = wilcoxonSquaredErrors(squaredErrors(c.y_true, c.champion), squaredErrors(c.y_true, c.candidate));
      expect(t.method).toBe(c.method);
      expect(t.rankSumCandidateBetter).toBe(c.rank_sum_candidate_better);
      close(t.pValueCandidateBetter, c.p_greater);
      close(t.pValueTwoSided, c.p_two_sided);
      expect(t.rows).toBe(c.y_true.length);
    });
  }

  it('counts who is closer, and gives p = 1 when the errors are the same', () => {
    const t = wilcoxonSquaredErrors([4, 1, 9, 0], [1, 1, 4, 1]);
    expect([t.candidateBetter, t.championBetter, t.meanImprovement]).toEqual([2, 1, 1.75]);
    const same = wilcoxonSquaredErrors([1, 2, 3], [1, 2, 3]);
    expect([same.pValueCandidateBetter, same.pValueTwoSided]).toEqual([1, 1]);
    expect(() => wilcoxonSquaredErrors([1], [1, 2])).toThrow(MlError);
  });

  it('has a normal tail accurate far out (the continued fraction past 5 / sqrt 2)', () => {
    // Reference values of the standard normal upper tail.
    close(normalSf(0), 0.5);
    close(normalSf(1.959963984540054), 0.025);
    close(normalSf(-1.959963984540054), 0.975);
    close(normalSf(8), 6.220960574271785e-16);
    close(normalSf(12), 1.7764821120776e-33);
  });
});
