/**
 * The checks of a run's hyperparameters, replay options and comparison policy, as the workflow runs
 * them when the run starts: copies of the ML modules' rules (ml/hyperparameters.ts,
 * ml/train-options.ts, ml/adam.ts, ml/hashing-vectorizer.ts, ml/replay-sample.ts, ml/compare.ts,
 * ml/labelled-data.ts), written here so the workflow bundle holds no ML code and a change to the ML
 * modules never changes what a replayed run computes. test/unit/input-rules.test.ts holds the copies
 * to the originals: the same tables, and the same verdict and message on every probe value.
 * Pure and deterministic: workflows import it.
 */

export type HyperparameterRule =
  | { kind: 'switch'; default: boolean }
  | { kind: 'choice'; choices: readonly string[]; default: string }
  | {
      kind: 'integer' | 'number';
      default: number;
      /** The range the ML options check enforces; `min` may name another hyperparameter (its value, or its default). */
      range: { min: number | string; max: number; minOpen?: boolean; maxOpen?: boolean; says: string };
    };

/** Every hyperparameter a run may set, in the order ml/hyperparameters.ts checks their types. */
export const HYPERPARAMETER_RULES = {
  epochs: { kind: 'integer', default: 15, range: { min: 1, max: 10000, says: 'an integer in [1, 10000]' } },
  learningRate: {
    kind: 'number',
    default: 0.05,
    range: { min: 0, minOpen: true, max: Infinity, maxOpen: true, says: 'a finite number > 0' },
  },
  batchSize: { kind: 'integer', default: 64, range: { min: 1, max: Infinity, maxOpen: true, says: 'an integer >= 1' } },
  seed: { kind: 'integer', default: 42, range: { min: 0, max: 0xffffffff, says: 'an integer in [0, 4294967295]' } },
  buckets: { kind: 'integer', default: 1 << 18, range: { min: 2, max: 1 << 24, says: 'an integer in [2, 16777216]' } },
  l2: { kind: 'number', default: 1e-6, range: { min: 0, max: Infinity, maxOpen: true, says: 'a finite number >= 0' } },
  weightDecay: { kind: 'number', default: 0, range: { min: 0, max: Infinity, maxOpen: true, says: 'a finite number >= 0' } },
  validationFraction: { kind: 'number', default: 0.1, range: { min: 0, max: 1, maxOpen: true, says: 'in [0, 1)' } },
  earlyStopping: { kind: 'switch', default: true },
  patience: { kind: 'integer', default: 1, range: { min: 1, max: Infinity, maxOpen: true, says: 'an integer >= 1' } },
  bigrams: { kind: 'switch', default: false },
  weighting: { kind: 'choice', choices: ['log1p', 'count', 'binary'], default: 'log1p' },
  idf: { kind: 'switch', default: false },
  normalize: { kind: 'switch', default: true },
  charNgrams: { kind: 'choice', choices: ['auto', 'on', 'off'], default: 'auto' },
  charNgramMin: { kind: 'integer', default: 2, range: { min: 1, max: 16, says: 'an integer in [1, 16]' } },
  charNgramMax: { kind: 'integer', default: 4, range: { min: 'charNgramMin', max: 16, says: 'an integer in [charNgramMin, 16]' } },
  classWeights: { kind: 'choice', choices: ['none', 'balanced'], default: 'none' },
} as const satisfies Record<string, HyperparameterRule>;

export type HyperparameterName = keyof typeof HYPERPARAMETER_RULES;

/**
 * The order the ML options checks test ranges in (train options: epochs, the Adam fields, then the
 * rest; then the featurizer's): the first value out of range is the one named.
 */
export const RANGE_CHECK_ORDER: readonly HyperparameterName[] = [
  'epochs',
  'learningRate',
  'weightDecay',
  'batchSize',
  'l2',
  'seed',
  'validationFraction',
  'patience',
  'buckets',
  'charNgramMin',
  'charNgramMax',
];

/** The fewest labelled rows a model trains on (ml/labelled-data.ts MIN_TRAINING_EXAMPLES). */
export const MIN_TRAINING_EXAMPLES = 5;

/** The drift limits a comparison policy may set (the keys of ml/compare.ts DRIFT_LIMIT_METRICS). */
export const DRIFT_LIMIT_KEYS = ['maxTokenJensenShannon', 'maxLabelPsi', 'maxUnseenBucketShare'] as const;

/** The replay options' default share (ml/replay-sample.ts defaultReplayOptions). */
export const DEFAULT_REPLAY_SHARE = 0.5;

// An object, so `in` answers as it does over ml/compare.ts's table.
const DRIFT_LIMITS: Record<string, true> = Object.fromEntries(DRIFT_LIMIT_KEYS.map((key) => [key, true]));

const HYPERPARAMETER_NAMES = Object.keys(HYPERPARAMETER_RULES) as HyperparameterName[];

function inRange(value: number, range: { min: number; max: number; minOpen?: boolean; maxOpen?: boolean }): boolean {
  const aboveMin = range.minOpen ? value > range.min : value >= range.min;
  const belowMax = range.maxOpen ? value < range.max : value <= range.max;
  return aboveMin && belowMax;
}

/** ml/hyperparameters.ts checkHyperparameters: throws an Error with the same message for the first thing wrong. */
export function checkHyperparameterValues(input: unknown): void {
  const bad = (msg: string): never => {
    throw new Error(msg);
  };
  if (input === undefined || input === null) return;
  if (typeof input !== 'object' || Array.isArray(input)) bad(`hyperparameters must be an object, got ${JSON.stringify(input)}`);
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in HYPERPARAMETER_RULES)) bad(`unknown hyperparameter ${JSON.stringify(key)}; known: ${HYPERPARAMETER_NAMES.join(', ')}`);
  }
  for (const key of HYPERPARAMETER_NAMES) {
    const value = record[key];
    if (value === undefined) continue;
    const rule: HyperparameterRule = HYPERPARAMETER_RULES[key];
    if (rule.kind === 'switch' && typeof value !== 'boolean') bad(`${key} must be true or false, got ${JSON.stringify(value)}`);
    if ((rule.kind === 'integer' || rule.kind === 'number') && (typeof value !== 'number' || !Number.isFinite(value))) {
      bad(`${key} must be a number, got ${JSON.stringify(value)}`);
    }
    if (rule.kind === 'integer' && !Number.isInteger(value)) bad(`${key} must be an integer, got ${JSON.stringify(value)}`);
    if (rule.kind === 'choice' && !rule.choices.includes(value as string))
      bad(`${key} must be one of ${rule.choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  const valueOf = (key: HyperparameterName): number => (record[key] ?? HYPERPARAMETER_RULES[key].default) as number;
  for (const key of RANGE_CHECK_ORDER) {
    const rule: HyperparameterRule = HYPERPARAMETER_RULES[key];
    if (rule.kind !== 'integer' && rule.kind !== 'number') continue;
    const { min, ...rest } = rule.range;
    const value = valueOf(key);
    if (!inRange(value, { ...rest, min: typeof min === 'number' ? min : valueOf(min as HyperparameterName) }))
      bad(`${key} must be ${rule.range.says}, got ${value}`);
  }
}

/** ml/replay-sample.ts resolveReplayOptions over a run's `replay` input (the seed is always the default). */
export function checkReplayValues(replay: { size?: number | null; share?: number }): void {
  const size = replay.size ?? null;
  const share = replay.share ?? DEFAULT_REPLAY_SHARE;
  if (size !== null && (!Number.isInteger(size) || size < 0)) throw new Error(`replay size must be an integer >= 0 or null, got ${size}`);
  if (!(share >= 0 && share < 1)) throw new Error(`replay share must be in [0, 1), got ${share}`);
}

interface PolicyShape {
  absolute: { metric: string; min?: number; max?: number }[];
  change: { metric: string; minImprovement?: number; minRelativeImprovement?: number }[];
  minEvaluationRows?: number;
  significance?: { alpha: number };
  drift?: object;
}

/** ml/compare.ts checkPolicy: the same messages. */
export function checkPolicyValues(policy: PolicyShape): void {
  const bad = (msg: string): never => {
    throw new Error(`comparison policy: ${msg}`);
  };
  for (const r of policy.absolute) {
    if (!r.metric) bad('absolute rule without metric');
    if (r.min === undefined && r.max === undefined) bad(`absolute rule for ${r.metric} has neither min nor max`);
    if (r.min !== undefined && r.max !== undefined && r.min > r.max) bad(`absolute rule for ${r.metric} has min > max`);
  }
  for (const r of policy.change) {
    if (!r.metric) bad('change rule without metric');
    if (r.minImprovement === undefined && r.minRelativeImprovement === undefined) {
      bad(`change rule for ${r.metric} has neither minImprovement nor minRelativeImprovement`);
    }
  }
  if (policy.minEvaluationRows !== undefined && !(Number.isInteger(policy.minEvaluationRows) && policy.minEvaluationRows >= 1))
    bad(`minEvaluationRows must be an integer >= 1, got ${JSON.stringify(policy.minEvaluationRows)}`);
  if (policy.significance && !(policy.significance.alpha > 0 && policy.significance.alpha < 1)) {
    bad(`significance alpha must be in (0, 1), got ${policy.significance.alpha}`);
  }
  for (const [key, value] of Object.entries(policy.drift ?? {}) as [string, unknown][]) {
    if (!(key in DRIFT_LIMITS)) bad(`unknown drift limit ${JSON.stringify(key)}; known: ${DRIFT_LIMIT_KEYS.join(', ')}`);
    if (typeof value !== 'number' || !(value >= 0)) bad(`drift limit ${key} must be a number >= 0, got ${JSON.stringify(value)}`);
  }
}
