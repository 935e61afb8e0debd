import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classificationMetrics } from '../../activities/ml/metrics.ts';
import { murmur3String } from '../../activities/ml/murmur3.ts';

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
