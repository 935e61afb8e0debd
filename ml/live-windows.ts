/**
 * Live metrics from production feedback: the offline metric functions (metrics.ts) applied to
 * counts of (predicted label, true label) pairs, so a live accuracy and an offline one mean the
 * same thing. Pure: the registry aggregates rows, this turns the counts into scores.
 */
import { classificationMetrics, type ClassScores } from './metrics.ts';

/** How many predictions said `predicted` and were later labelled `actual` (null: no feedback yet). */
export interface OutcomeCount {
  predicted: string;
  actual: string | null;
  count: number;
}

export interface LiveScores {
  predictions: number;
  labelled: number;
  /** null until at least one prediction has feedback. */
  accuracy: number | null;
  /** Macro averages, as offline. */
  precision: number | null;
  recall: number | null;
  f1: number | null;
  perClass: Record<string, ClassScores>;
  confusionMatrix: { labels: string[]; matrix: number[][] };
  /** Predicted-label distribution over every prediction, labelled or not. */
  labelDistribution: Record<string, number>;
}

export function liveScores(outcomes: readonly OutcomeCount[]): LiveScores {
  const labelDistribution: Record<string, number> = {};
  let predictions = 0;
  const names: string[] = [];
  const index = new Map<string, number>();
  const indexOf = (label: string): number => {
    let i = index.get(label);
    if (i === undefined) {
      i = names.length;
      names.push(label);
      index.set(label, i);
    }
    return i;
  };
  const yTrue: number[] = [];
  const yPred: number[] = [];
  for (const o of outcomes) {
    if (!Number.isInteger(o.count) || o.count < 0) throw new Error(`live metrics: count must be a non-negative integer, got ${o.count}`);
    predictions += o.count;
    labelDistribution[o.predicted] = (labelDistribution[o.predicted] ?? 0) + o.count;
    if (o.actual === null) continue;
    const t = indexOf(o.actual);
    const p = indexOf(o.predicted);
    for (let i = 0; i < o.count; i++) {
      yTrue.push(t);
      yPred.push(p);
    }
  }
  if (yTrue.length === 0) {
    return {
      predictions,
      labelled: 0,
      accuracy: null,
      precision: null,
      recall: null,
      f1: null,
      perClass: {},
      confusionMatrix: { labels: [], matrix: [] },
      labelDistribution,
    };
  }
  const m = classificationMetrics(yTrue, yPred, names);
  return {
    predictions,
    labelled: yTrue.length,
    accuracy: m.accuracy,
    precision: m.precision,
    recall: m.recall,
    f1: m.f1,
    perClass: m.perClass,
    confusionMatrix: m.confusionMatrix,
    labelDistribution,
  };
}

/** Start (ms since epoch) of the fixed window of `windowMs` that contains `timeMs`. */
export function windowStart(timeMs: number, windowMs: number): number {
  if (!(windowMs > 0)) throw new Error(`live metrics: window must be positive, got ${windowMs}`);
  return Math.floor(timeMs / windowMs) * windowMs;
}
