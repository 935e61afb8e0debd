/**
 * The workflow bundle holds no ML or registry code, so the tables a workflow needs are copies
 * (workflows/input-rules.ts, workflows/retry-policies.ts). This test holds each copy to the module
 * that defines the original: the same entries, and for the input checks the same verdict and the
 * same message on every probe value, so a change on one side fails here until the other follows.
 */
import { describe, expect, it } from 'vitest';
import { msToNumber } from '@temporalio/common';
import { durationMs } from '../../workflows/durations.ts';
import { HYPERPARAMETERS, HYPERPARAMETER_KEYS, checkHyperparameters, hyperparameterDefault } from '../../ml/hyperparameters.ts';
import { checkPolicy, type ComparisonPolicy } from '../../ml/compare.ts';
import { defaultReplayOptions, resolveReplayOptions } from '../../ml/replay-sample.ts';
import { MIN_TRAINING_EXAMPLES as ML_MIN_TRAINING_EXAMPLES } from '../../ml/labelled-data.ts';
import { PERMANENT_FAILURE_TYPES as ACTIVITY_PERMANENT_FAILURE_TYPES } from '../../activities/failure-types.ts';
import {
  DEFAULT_REPLAY_SHARE,
  HYPERPARAMETER_RULES,
  MIN_TRAINING_EXAMPLES,
  checkHyperparameterValues,
  checkPolicyValues,
  checkReplayValues,
  type HyperparameterName,
} from '../../workflows/input-rules.ts';
import { PERMANENT_FAILURE_TYPES } from '../../workflows/retry-policies.ts';

/** What a check says about a value: 'ok', or its message. */
function verdict(check: () => unknown): string {
  try {
    check();
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

const NUMBER_PROBES = [
  -1e12,
  -1,
  -0.5,
  0,
  1e-9,
  0.1,
  0.5,
  0.999,
  1,
  1.5,
  2,
  3,
  4,
  5,
  15,
  16,
  17,
  64,
  10000,
  10001,
  4294967295,
  4294967296,
  16777216,
  16777217,
  1e12,
  NaN,
  Infinity,
];
const OTHER_PROBES: unknown[] = [
  '1',
  '',
  true,
  false,
  null,
  [],
  {},
  'auto',
  'on',
  'off',
  'log1p',
  'count',
  'binary',
  'none',
  'balanced',
  'tfidf',
];

describe('the workflow copy of the hyperparameter rules', () => {
  it('names the same hyperparameters, kinds, choices and defaults as ml/hyperparameters.ts', () => {
    expect(Object.keys(HYPERPARAMETER_RULES)).toEqual(HYPERPARAMETER_KEYS);
    for (const key of HYPERPARAMETER_KEYS) {
      const rule = HYPERPARAMETER_RULES[key as HyperparameterName];
      const spec = HYPERPARAMETERS[key];
      expect(rule.kind, key).toBe(spec.kind);
      if (spec.kind === 'choice' && rule.kind === 'choice') expect(rule.choices, key).toEqual(spec.choices);
      expect(rule.default, key).toBe(hyperparameterDefault(key));
    }
  });

  it('gives the same verdict and message as ml/hyperparameters.ts for every probe value of every key', () => {
    const differences: string[] = [];
    const compare = (input: unknown): void => {
      const ml = verdict(() => checkHyperparameters(input));
      const copy = verdict(() => checkHyperparameterValues(input));
      if (ml !== copy) differences.push(`${JSON.stringify(input)}: ml says ${ml}, the copy says ${copy}`);
    };
    for (const key of HYPERPARAMETER_KEYS) for (const value of [...NUMBER_PROBES, ...OTHER_PROBES]) compare({ [key]: value });
    // The rule between two keys, and the order in which the first bad value is named.
    for (const min of [1, 2, 4, 5, 16]) for (const max of [undefined, 1, 3, 4, 16, 17]) compare({ charNgramMin: min, charNgramMax: max });
    compare({ epochs: 0, buckets: 1 });
    compare({ buckets: 1, epochs: 0 });
    compare({ patience: 0, learningRate: -1, weightDecay: -1 });
    compare({ charNgramMax: 99, validationFraction: 1 });
    compare({ nope: 1 });
    compare({ epochs: 'x', nope: 1 });
    for (const input of [undefined, null, 3, 'x', [], [1]]) compare(input);
    expect(differences).toEqual([]);
  });
});

describe('the workflow copy of the replay and policy checks', () => {
  it('checks replay options as ml/replay-sample.ts does', () => {
    expect(DEFAULT_REPLAY_SHARE).toBe(defaultReplayOptions.share);
    const differences: string[] = [];
    for (const size of [undefined, null, -1, 0, 0.5, 3, 1e9]) {
      for (const share of [undefined, -0.1, 0, 0.5, 0.99, 1, 2, NaN]) {
        const ml = verdict(() => resolveReplayOptions({ size: size ?? null, share }));
        const copy = verdict(() => checkReplayValues({ size, share }));
        if (ml !== copy) differences.push(`size ${size} share ${share}: ml says ${ml}, the copy says ${copy}`);
      }
    }
    expect(differences).toEqual([]);
  });

  it('checks comparison policies as ml/compare.ts does', () => {
    const policies: ComparisonPolicy[] = [
      { absolute: [{ metric: 'f1', min: 0.5 }], change: [{ metric: 'f1', minImprovement: 0 }] },
      { absolute: [{ metric: '', min: 0.5 }], change: [] },
      { absolute: [{ metric: 'f1' }], change: [] },
      { absolute: [{ metric: 'f1', min: 0.9, max: 0.1 }], change: [] },
      { absolute: [], change: [{ metric: '' }] },
      { absolute: [], change: [{ metric: 'f1' }] },
      { absolute: [], change: [], minEvaluationRows: 30 },
      { absolute: [], change: [], minEvaluationRows: 1 },
      { absolute: [], change: [], minEvaluationRows: 0 },
      { absolute: [], change: [], minEvaluationRows: 2.5 },
      { absolute: [], change: [], minEvaluationRows: -3 },
      { absolute: [], change: [], significance: { alpha: 0 } },
      { absolute: [], change: [], significance: { alpha: 0.05 } },
      { absolute: [], change: [], drift: { maxLabelPsi: 0.2, maxTokenJensenShannon: 0.1, maxUnseenBucketShare: 0.3 } },
      { absolute: [], change: [], drift: { maxLabelPsi: -1 } },
      { absolute: [], change: [], drift: { maxSomething: 1 } as never },
      { absolute: [], change: [], drift: { toString: 1 } as never },
    ];
    const differences = policies
      .map((p) => [JSON.stringify(p), verdict(() => checkPolicy(p)), verdict(() => checkPolicyValues(p))])
      .filter(([, ml, copy]) => ml !== copy);
    expect(differences).toEqual([]);
  });

  it('keeps the fewest training rows of ml/labelled-data.ts', () => {
    expect(MIN_TRAINING_EXAMPLES).toBe(ML_MIN_TRAINING_EXAMPLES);
  });
});

describe('the workflow copy of the permanent failure types', () => {
  it('equals activities/failure-types.ts (the typed errors of ml/, registry/ and the activities)', () => {
    expect(PERMANENT_FAILURE_TYPES).toEqual(ACTIVITY_PERMANENT_FAILURE_TYPES);
  });
});

describe('the workflow copy of the duration parser', () => {
  it('reads every probe as @temporalio/common msToNumber does, throwing where it throws', () => {
    const probes: Array<string | number> = [
      '30s',
      '10m',
      '2h',
      '24 hours',
      '1 day',
      '7d',
      '1.5h',
      '500ms',
      '500',
      '0',
      '-1h',
      ' 1h',
      '1h ',
      '1 H',
      '1y',
      '2 weeks',
      '',
      'x',
      'h1',
      '1hh',
      '10 minutes',
      '3 mins',
      '1e3',
      'Infinity',
      'NaN',
      '1,000s',
      250,
      0,
      -5,
    ];
    for (const probe of probes) {
      const expected = (() => {
        try {
          return { ms: msToNumber(probe as Parameters<typeof msToNumber>[0]) };
        } catch (err) {
          return { error: (err as Error).message };
        }
      })();
      const actual = (() => {
        try {
          return { ms: durationMs(probe) };
        } catch (err) {
          return { error: (err as Error).message };
        }
      })();
      expect(actual, JSON.stringify(probe)).toEqual(expected);
    }
  });
});
