/**
 * The monitor's policy and its decision, pure: given live scores from feedback, the production
 * version's offline evaluation and the drift of served inputs against its training data, does the
 * model need retraining, and why (in numbers)?
 */
import { MlError } from './errors.ts';

export interface MonitorPolicy {
  /** Retrain when live accuracy falls below this. Default 0.8. */
  minAccuracy: number;
  /** Retrain when live accuracy is this far below the version's offline accuracy. Default 0.05. */
  maxAccuracyDrop: number;
  /** Judge accuracy only with at least this many labelled predictions in the window. Default 50. */
  minLabelled: number;
  /** Retrain on input drift: Jensen-Shannon divergence of served tokens vs training above this (0..1). Default 0.15. */
  maxDrift: number;
  /** Retrain on prediction drift: PSI of the predicted-label distribution vs the training labels above this. Default 0.25. */
  maxPredictionDrift: number;
  /** Judge drift only with at least this many served texts in the window. Default 100. */
  minServed: number;
  /** How often the monitor evaluates, e.g. '15m'. Default '15 minutes'. */
  every: string;
  /** The window of predictions it evaluates, e.g. '24h'. Default '24 hours'. */
  window: string;
  /** After the monitor starts a run, no other for this long. Default '6 hours'. */
  cooldown: string;
  /** false: evaluate and record only, never start a run. Default true. */
  retrain: boolean;
}

export const defaultMonitorPolicy: MonitorPolicy = {
  minAccuracy: 0.8,
  maxAccuracyDrop: 0.05,
  minLabelled: 50,
  maxDrift: 0.15,
  maxPredictionDrift: 0.25,
  minServed: 100,
  every: '15 minutes',
  window: '24 hours',
  cooldown: '6 hours',
  retrain: true,
};

const FRACTIONS = ['minAccuracy', 'maxAccuracyDrop', 'maxDrift'] as const;

export function checkMonitorPolicy(p: MonitorPolicy, isDuration: (value: string) => boolean): void {
  const bad = (msg: string): never => {
    throw new MlError('InvalidOptions', `monitor policy: ${msg}`);
  };
  for (const key of FRACTIONS) if (!(p[key] >= 0 && p[key] <= 1)) bad(`${key} must be in [0, 1], got ${JSON.stringify(p[key])}`);
  if (!(p.maxPredictionDrift >= 0) || !Number.isFinite(p.maxPredictionDrift))
    bad(`maxPredictionDrift must be a number >= 0, got ${JSON.stringify(p.maxPredictionDrift)}`);
  for (const key of ['minLabelled', 'minServed'] as const) {
    if (!Number.isInteger(p[key]) || p[key] < 1) bad(`${key} must be an integer >= 1, got ${JSON.stringify(p[key])}`);
  }
  for (const key of ['every', 'window', 'cooldown'] as const) {
    if (typeof p[key] !== 'string' || !isDuration(p[key]))
      bad(`${key} must be a duration such as 15m or 6h, got ${JSON.stringify(p[key])}`);
  }
  if (typeof p.retrain !== 'boolean') bad(`retrain must be true or false, got ${JSON.stringify(p.retrain)}`);
}

export interface LiveEvidence {
  /** The production version the live numbers are about; null: nothing in production. */
  version: number | null;
  predictions: number;
  labelled: number;
  accuracy: number | null;
  f1: number | null;
  /** The version's offline accuracy, from the evaluation that promoted it. */
  offlineAccuracy: number | null;
  /** Served texts in the window that had their text logged (drift needs the text). */
  served: number;
  /** Drift of served inputs against the version's training data; null when it cannot be measured. */
  drift: { tokenJensenShannon: number; unseenBucketShare: number; predictionPsi: number } | null;
}

export type MonitorTrigger = 'decay' | 'drift';

export interface Breach {
  kind: 'min-accuracy' | 'max-accuracy-drop' | 'max-drift' | 'max-prediction-drift';
  trigger: MonitorTrigger;
  value: number;
  threshold: number;
  message: string;
}

export interface Assessment {
  breaches: Breach[];
  /** decay when accuracy breached (it outranks drift), drift when only drift did, null when none. */
  trigger: MonitorTrigger | null;
  /** One line with the numbers: why a run would start, or why not. */
  reason: string;
  /** What could not be judged and why (too few labels, no text logged, nothing served). */
  notJudged: string[];
}

const f = (v: number): string => v.toFixed(4);

export function assessLiveModel(e: LiveEvidence, p: MonitorPolicy): Assessment {
  const breaches: Breach[] = [];
  const notJudged: string[] = [];
  if (e.version === null)
    return { breaches, trigger: null, reason: 'no production version to monitor', notJudged: ['no production version'] };
  if (e.labelled < p.minLabelled || e.accuracy === null) {
    notJudged.push(`accuracy: ${e.labelled} labelled predictions in the window, at least ${p.minLabelled} needed`);
  } else {
    if (e.accuracy < p.minAccuracy) {
      breaches.push({
        kind: 'min-accuracy',
        trigger: 'decay',
        value: e.accuracy,
        threshold: p.minAccuracy,
        message: `live accuracy ${f(e.accuracy)} < ${p.minAccuracy} on ${e.labelled} labelled predictions`,
      });
    }
    if (e.offlineAccuracy !== null && e.offlineAccuracy - e.accuracy > p.maxAccuracyDrop) {
      const drop = e.offlineAccuracy - e.accuracy;
      breaches.push({
        kind: 'max-accuracy-drop',
        trigger: 'decay',
        value: drop,
        threshold: p.maxAccuracyDrop,
        message: `live accuracy ${f(e.accuracy)} is ${f(drop)} below v${e.version}'s offline ${f(e.offlineAccuracy)} (max drop ${p.maxAccuracyDrop})`,
      });
    }
  }
  if (e.drift === null || e.served < p.minServed) {
    notJudged.push(`drift: ${e.served} served texts with text logged in the window, at least ${p.minServed} needed`);
  } else {
    if (e.drift.tokenJensenShannon > p.maxDrift) {
      breaches.push({
        kind: 'max-drift',
        trigger: 'drift',
        value: e.drift.tokenJensenShannon,
        threshold: p.maxDrift,
        message: `input drift: token JS divergence ${f(e.drift.tokenJensenShannon)} > ${p.maxDrift} (unseen tokens ${(100 * e.drift.unseenBucketShare).toFixed(1)}%)`,
      });
    }
    if (e.drift.predictionPsi > p.maxPredictionDrift) {
      breaches.push({
        kind: 'max-prediction-drift',
        trigger: 'drift',
        value: e.drift.predictionPsi,
        threshold: p.maxPredictionDrift,
        message: `prediction drift: predicted-label PSI ${f(e.drift.predictionPsi)} > ${p.maxPredictionDrift}`,
      });
    }
  }
  const trigger: MonitorTrigger | null = breaches.some((b) => b.trigger === 'decay') ? 'decay' : breaches.length ? 'drift' : null;
  const reason = breaches.length
    ? `${trigger}: ${breaches.map((b) => b.message).join('; ')}`
    : `healthy: ${e.accuracy === null ? 'no live accuracy yet' : `live accuracy ${f(e.accuracy)} on ${e.labelled} labelled`}${e.drift ? `, token drift ${f(e.drift.tokenJensenShannon)}` : ''}${notJudged.length ? ` (not judged: ${notJudged.join('; ')})` : ''}`;
  return { breaches, trigger, reason, notJudged };
}

/** The model's monitor policy in force: its stored one over the defaults, and where it came from. */
export function resolveMonitorPolicy(
  stored: { version: number; policy: Partial<MonitorPolicy> } | null,
  isDuration: (value: string) => boolean,
): {
  policy: MonitorPolicy;
  source: string;
} {
  const policy = { ...defaultMonitorPolicy, ...(stored?.policy ?? {}) };
  checkMonitorPolicy(policy, isDuration);
  return { policy, source: stored ? `monitor policy v${stored.version}` : 'the default monitor policy' };
}
