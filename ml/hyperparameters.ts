/**
 * The one table of hyperparameters a run may set: key (the TrainOptions or FeaturizerOptions field
 * it sets), CLI flag, kind and help. The CLI's flags and help, the run input's type and the
 * validation all come from here; defaults come from the options modules themselves.
 */
import { MlError } from './errors.ts';
import { defaultFeaturizerOptions, resolveFeaturizerOptions, type FeaturizerOptions } from './hashing-vectorizer.ts';
import { defaultTrainOptions, resolveTrainOptions, type TrainOptions } from './train-options.ts';

interface SpecBase {
  /** The CLI flag, without the leading dashes. */
  flag: string;
  /** Which options object the value goes to. */
  target: 'train' | 'featurizer';
  help: string;
}
export type HyperparameterSpec =
  | (SpecBase & { kind: 'integer' | 'number'; metavar: string })
  /** A flag without a value that sets the option to `sets` (the opposite of its default). */
  | (SpecBase & { kind: 'switch'; sets: boolean })
  | (SpecBase & { kind: 'choice'; choices: readonly string[]; metavar: string });

export const HYPERPARAMETERS = {
  epochs: {
    flag: 'epochs',
    target: 'train',
    kind: 'integer',
    metavar: 'N',
    help: 'passes over the training data; early stopping usually ends sooner',
  },
  learningRate: { flag: 'learning-rate', target: 'train', kind: 'number', metavar: 'X', help: 'Adam step size' },
  batchSize: { flag: 'batch-size', target: 'train', kind: 'integer', metavar: 'N', help: 'rows per mini-batch' },
  seed: { flag: 'seed', target: 'train', kind: 'integer', metavar: 'N', help: 'seed of the validation split and the shuffles' },
  buckets: { flag: 'buckets', target: 'featurizer', kind: 'integer', metavar: 'N', help: 'hash buckets (features)' },
  l2: { flag: 'l2', target: 'train', kind: 'number', metavar: 'X', help: 'L2 penalty' },
  weightDecay: { flag: 'weight-decay', target: 'train', kind: 'number', metavar: 'X', help: 'decoupled weight decay (AdamW)' },
  validationFraction: {
    flag: 'validation-fraction',
    target: 'train',
    kind: 'number',
    metavar: 'X',
    help: 'share of training rows held out for early stopping',
  },
  earlyStopping: { flag: 'no-early-stopping', target: 'train', kind: 'switch', sets: false, help: 'train every epoch (no early stopping)' },
  patience: {
    flag: 'patience',
    target: 'train',
    kind: 'integer',
    metavar: 'N',
    help: 'epochs without validation improvement before early stopping',
  },
  bigrams: { flag: 'bigrams', target: 'featurizer', kind: 'switch', sets: true, help: 'add word bigrams to the features' },
  weighting: {
    flag: 'weighting',
    target: 'featurizer',
    kind: 'choice',
    choices: ['log1p', 'count', 'binary'],
    metavar: 'W',
    help: 'term weight: log(1 + count), count, or 1 per present term',
  },
  idf: { flag: 'idf', target: 'featurizer', kind: 'switch', sets: true, help: 'weigh terms by IDF learnt from the training rows' },
  normalize: { flag: 'no-normalize', target: 'featurizer', kind: 'switch', sets: false, help: 'do not scale rows to unit length' },
  charNgrams: {
    flag: 'char-ngrams',
    target: 'featurizer',
    kind: 'choice',
    choices: ['auto', 'on', 'off'],
    metavar: 'M',
    help: 'character n-grams of each word; auto: on when the training texts average <= 32 characters',
  },
  charNgramMin: { flag: 'char-ngram-min', target: 'featurizer', kind: 'integer', metavar: 'N', help: 'shortest character n-gram' },
  charNgramMax: { flag: 'char-ngram-max', target: 'featurizer', kind: 'integer', metavar: 'N', help: 'longest character n-gram' },
  classWeights: {
    flag: 'class-weights',
    target: 'train',
    kind: 'choice',
    choices: ['none', 'balanced'],
    metavar: 'W',
    help: 'weight of each class in the loss',
  },
} as const satisfies Record<string, HyperparameterSpec>;

type Table = typeof HYPERPARAMETERS;
export type HyperparameterKey = keyof Table;
type ValueOf<S> = S extends { kind: 'integer' | 'number' }
  ? number
  : S extends { kind: 'switch' }
    ? boolean
    : S extends { kind: 'choice'; choices: readonly (infer C)[] }
      ? C
      : never;

/** Hyperparameters a run may override; every key is optional (unset: the default). */
export type Hyperparameters = { -readonly [K in HyperparameterKey]?: ValueOf<Table[K]> };

// Each key names a field of the options object it targets, with a value of the same type.
type TargetOf<K extends HyperparameterKey> = Table[K]['target'] extends 'train' ? TrainOptions : FeaturizerOptions;
type KeysMatchTargets = {
  [K in HyperparameterKey]: K extends keyof TargetOf<K> ? (ValueOf<Table[K]> extends TargetOf<K>[K] ? true : false) : false;
};
const keysMatchTargets: KeysMatchTargets[HyperparameterKey] = true;
void keysMatchTargets;

export const HYPERPARAMETER_KEYS = Object.keys(HYPERPARAMETERS) as HyperparameterKey[];

export function hyperparameterDefault(key: HyperparameterKey): number | boolean | string {
  const spec: HyperparameterSpec = HYPERPARAMETERS[key];
  const value =
    spec.target === 'train' ? defaultTrainOptions[key as keyof TrainOptions] : defaultFeaturizerOptions[key as keyof FeaturizerOptions];
  return value as number | boolean | string;
}

/** The options objects a set of hyperparameters overrides. */
export function splitHyperparameters(h: Hyperparameters = {}): { featurizer: Partial<FeaturizerOptions>; train: Partial<TrainOptions> } {
  const featurizer: Record<string, unknown> = {};
  const train: Record<string, unknown> = {};
  for (const key of HYPERPARAMETER_KEYS) {
    if (h[key] === undefined) continue;
    (HYPERPARAMETERS[key].target === 'train' ? train : featurizer)[key] = h[key];
  }
  return { featurizer: featurizer as Partial<FeaturizerOptions>, train: train as Partial<TrainOptions> };
}

/**
 * Checks a hyperparameters object from any client (types, unknown keys, ranges) and returns it.
 * Throws MlError('InvalidOptions') naming the key; `keyName` renders a key in the message (the CLI
 * passes one that names the flag).
 */
export function checkHyperparameters(input: unknown, keyName: (key: HyperparameterKey) => string = (k) => k): Hyperparameters {
  const bad = (msg: string): never => {
    throw new MlError('InvalidOptions', msg);
  };
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) return bad(`hyperparameters must be an object, got ${JSON.stringify(input)}`);
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in HYPERPARAMETERS)) bad(`unknown hyperparameter ${JSON.stringify(key)}; known: ${HYPERPARAMETER_KEYS.join(', ')}`);
  }
  for (const key of HYPERPARAMETER_KEYS) {
    const value = record[key];
    if (value === undefined) continue;
    const spec: HyperparameterSpec = HYPERPARAMETERS[key];
    const name = keyName(key);
    if (spec.kind === 'switch' && typeof value !== 'boolean') bad(`${name} must be true or false, got ${JSON.stringify(value)}`);
    if ((spec.kind === 'integer' || spec.kind === 'number') && (typeof value !== 'number' || !Number.isFinite(value))) {
      bad(`${name} must be a number, got ${JSON.stringify(value)}`);
    }
    if (spec.kind === 'integer' && !Number.isInteger(value)) bad(`${name} must be an integer, got ${JSON.stringify(value)}`);
    if (spec.kind === 'choice' && !spec.choices.includes(value as string))
      bad(`${name} must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  const h = record as Hyperparameters;
  const { featurizer, train } = splitHyperparameters(h);
  try {
    resolveTrainOptions(train);
    resolveFeaturizerOptions(featurizer);
  } catch (err) {
    if (!(err instanceof MlError)) throw err;
    // The options checks name the option key first ("epochs must be ..."): name it as asked.
    const key = HYPERPARAMETER_KEYS.find((k) => err.message.startsWith(`${k} `));
    throw new MlError('InvalidOptions', key ? `${keyName(key)}${err.message.slice(key.length)}` : err.message);
  }
  return h;
}
