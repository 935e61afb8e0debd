/** Shared flag parsing: node:util parseArgs with errors that name the flag. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Hyperparameters } from '../../workflows/definitions.ts';

export class UsageError extends Error {}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const HYPERPARAMETER_FLAGS = {
  epochs: { type: 'string' },
  'learning-rate': { type: 'string' },
  'batch-size': { type: 'string' },
  seed: { type: 'string' },
  buckets: { type: 'string' },
  l2: { type: 'string' },
  'weight-decay': { type: 'string' },
  'validation-fraction': { type: 'string' },
  'no-early-stopping': { type: 'boolean' },
  bigrams: { type: 'boolean' },
  'class-weights': { type: 'string' },
} as const;

export const HYPERPARAMETER_HELP = `Hyperparameters (defaults in parentheses):
  --epochs N               passes over the training data (15; early stopping usually ends sooner)
  --learning-rate X        Adam step size (0.02)
  --batch-size N           rows per mini-batch (16)
  --seed N                 seed of the validation split and shuffles (42)
  --buckets N              hash buckets (262144 = 2^18)
  --l2 X                   L2 penalty (1e-6)
  --weight-decay X         decoupled weight decay (0)
  --validation-fraction X  share held out for early stopping (0.1)
  --no-early-stopping      train all epochs
  --bigrams                add word bigrams to the features
  --class-weights W        none or balanced (none)`;

function num(name: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function hyperparametersFrom(values: Record<string, string | boolean | undefined | (string | boolean)[]>): Hyperparameters {
  const s = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const h: Hyperparameters = {
    epochs: num('epochs', s('epochs'), true),
    learningRate: num('learning-rate', s('learning-rate'), false),
    batchSize: num('batch-size', s('batch-size'), true),
    seed: num('seed', s('seed'), true),
    buckets: num('buckets', s('buckets'), true),
    l2: num('l2', s('l2'), false),
    weightDecay: num('weight-decay', s('weight-decay'), false),
    validationFraction: num('validation-fraction', s('validation-fraction'), false),
  };
  if (values['no-early-stopping']) h.earlyStopping = false;
  if (values.bigrams) h.bigrams = true;
  const cw = s('class-weights');
  if (cw !== undefined) {
    if (cw !== 'none' && cw !== 'balanced') throw new UsageError(`--class-weights must be none or balanced, got ${JSON.stringify(cw)}`);
    h.classWeights = cw;
  }
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Hyperparameters;
}
