import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brierScore, expectedCalibrationError } from '../../ml/calibration.ts';
import { classificationMetrics } from '../../ml/metrics.ts';
import { murmur3String } from '../../ml/murmur3.ts';

interface Scores {
  precision: number;
  recall: number;
  f1: number;
}
interface MetricsCase {
  name: string;
  y_true: string[];
  y_pred: string[];
  labels: string[];
  accuracy: number;
  confusion_matrix: number[][];
  per_class: Record<string, Scores & { support: number }>;
  macro: Scores;
  micro: Scores;
  weighted: Scores;
  proba?: number[][];
  proba_labels?: string[];
  log_loss?: number;
  roc_auc?: number;
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/sklearn-fixtures.json', import.meta.url), 'utf8')) as {
  metrics: MetricsCase[];
  murmur3: Array<{ s: string; seed: number; hash: number }>;
};

const close = (actual: number | undefined, expected: number): void => {
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(1e-9);
};

describe('metrics agree with scikit-learn to 1e-9', () => {
  for (const c of fixtures.metrics) {
    it(c.name, () => {
      const names = [...new Set([...c.y_true, ...c.y_pred, ...(c.proba_labels ?? [])])];
      const idx = new Map(names.map((n, i) => [n, i]));
      const m = classificationMetrics(
        c.y_true.map((l) => idx.get(l)!),
        c.y_pred.map((l) => idx.get(l)!),
        names,
        c.proba ? { values: c.proba.flat(), labels: c.proba_labels! } : undefined,
      );
      close(m.accuracy, c.accuracy);
      expect(m.confusionMatrix.labels).toEqual(c.labels);
      expect(m.confusionMatrix.matrix).toEqual(c.confusion_matrix);
      for (const avg of ['macro', 'micro', 'weighted'] as const) {
        close(m[avg].precision, c[avg].precision);
        close(m[avg].recall, c[avg].recall);
        close(m[avg].f1, c[avg].f1);
      }
      for (const [label, s] of Object.entries(c.per_class)) {
        close(m.perClass[label].precision, s.precision);
        close(m.perClass[label].recall, s.recall);
        close(m.perClass[label].f1, s.f1);
        expect(m.perClass[label].support).toBe(s.support);
      }
      if (c.log_loss !== undefined) close(m.logLoss, c.log_loss);
      if (c.roc_auc !== undefined) close(m.rocAuc, c.roc_auc);
    });
  }
});

describe('murmur3', () => {
  it('equals scikit-learn murmurhash3_32(positive=True)', () => {
    for (const { s, seed, hash } of fixtures.murmur3) expect(murmur3String(s, seed), `${JSON.stringify(s)} seed ${seed}`).toBe(hash);
  });
});

describe('calibration', () => {
  it('computes ECE over 15 equal-width bins of the top-class probability (hand-worked)', () => {
    // Rows: top probability 0.9 right, 0.9 wrong, 0.6 right, 0.55 right (bins (0.867,0.933], (0.533,0.6], (0.533,0.6]).
    const proba = [0.9, 0.1, 0.1, 0.9, 0.6, 0.4, 0.45, 0.55];
    const yTrue = [0, 0, 0, 1];
    const ece = expectedCalibrationError(yTrue, ['a', 'b'], proba, ['a', 'b']);
    // Bin of 0.9: 2 rows, accuracy 0.5, confidence 0.9 -> 0.5 * 0.4; bin of 0.6 and 0.55: accuracy 1, confidence 0.575 -> 0.5 * 0.425.
    expect(ece).toBeCloseTo(0.5 * 0.4 + 0.5 * 0.425, 12);
    expect(expectedCalibrationError([0], ['a', 'b'], [1, 0], ['a', 'b'])).toBe(0);
  });

  it('computes the multi-class Brier score (hand-worked), counting an unknown true label as wrong', () => {
    const proba = [0.7, 0.2, 0.1, 0.1, 0.1, 0.8];
    // Row 0 true a: 0.09 + 0.04 + 0.01 = 0.14; row 1 true c: 0.01 + 0.01 + 0.04 = 0.06.
    expect(brierScore([0, 2], ['a', 'b', 'c'], proba, ['a', 'b', 'c'])).toBeCloseTo(0.1, 12);
    // An unseen label d: 0.49 + 0.04 + 0.01 + 1.
    expect(brierScore([3], ['a', 'b', 'c', 'd'], [0.7, 0.2, 0.1], ['a', 'b', 'c'])).toBeCloseTo(1.54, 12);
  });

  it('reports ECE and Brier with the other metrics when probabilities are given', () => {
    const m = classificationMetrics([0, 1], [0, 1], ['a', 'b'], { values: [0.8, 0.2, 0.3, 0.7], labels: ['a', 'b'] });
    expect(m.brier).toBeCloseTo((0.04 + 0.04 + 0.09 + 0.09) / 2, 12);
    expect(m.ece).toBeCloseTo(0.5 * 0.2 + 0.5 * 0.3, 12);
  });
});
