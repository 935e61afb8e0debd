/** Shared flag parsing: node:util parseArgs with errors that name the flag. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  checkHyperparameters,
  hyperparameterDefault,
  HYPERPARAMETER_KEYS,
  HYPERPARAMETERS,
  type HyperparameterSpec,
  type Hyperparameters,
} from '../../activities/ml/hyperparameters.ts';
import { MlError } from '../../activities/ml/errors.ts';

export class UsageError extends Error {}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

type FlagOption = { type: 'string' } | { type: 'boolean' };

/** The hyperparameter flags, from the one table in activities/ml/hyperparameters.ts. */
export const HYPERPARAMETER_FLAGS: Record<string, FlagOption> = Object.fromEntries(
  HYPERPARAMETER_KEYS.map((key) => {
    const spec: HyperparameterSpec = HYPERPARAMETERS[key];
    return [spec.flag, spec.kind === 'switch' ? { type: 'boolean' } : { type: 'string' }];
  }),
);

function flagUsage(spec: HyperparameterSpec): string {
  return spec.kind === 'switch' ? `--${spec.flag}` : `--${spec.flag} ${spec.metavar}`;
}

function describeDefault(key: (typeof HYPERPARAMETER_KEYS)[number]): string {
  const spec: HyperparameterSpec = HYPERPARAMETERS[key];
  const value = hyperparameterDefault(key);
  if (spec.kind === 'switch') return '';
  if (key === 'buckets' && typeof value === 'number' && Number.isInteger(Math.log2(value))) return ` (${value} = 2^${Math.log2(value)})`;
  if (spec.kind === 'choice') return ` (${spec.choices.join(' or ')}; default ${String(value)})`;
  return ` (${String(value)})`;
}

export const HYPERPARAMETER_HELP = [
  'Hyperparameters (defaults in parentheses):',
  ...HYPERPARAMETER_KEYS.map((key) => {
    const spec: HyperparameterSpec = HYPERPARAMETERS[key];
    return `  ${flagUsage(spec).padEnd(25)} ${spec.help}${describeDefault(key)}`;
  }),
].join('\n');

/** The hyperparameters named by flags, checked as a run would check them; errors name the flag. */
export function hyperparametersFrom(values: Record<string, string | boolean | undefined | (string | boolean)[]>): Hyperparameters {
  const h: Record<string, unknown> = {};
  for (const key of HYPERPARAMETER_KEYS) {
    const spec: HyperparameterSpec = HYPERPARAMETERS[key];
    const raw = values[spec.flag];
    if (raw === undefined || raw === false) continue;
    if (spec.kind === 'switch') {
      h[key] = spec.sets;
    } else if (typeof raw === 'string') {
      if (spec.kind === 'choice') h[key] = raw;
      else {
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(n)) {
          throw new UsageError(`--${spec.flag} must be ${spec.kind === 'integer' ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
        }
        h[key] = n;
      }
    }
  }
  try {
    return checkHyperparameters(h, (key) => `--${HYPERPARAMETERS[key].flag}`);
  } catch (err) {
    if (err instanceof MlError) throw new UsageError(err.message);
    throw err;
  }
}
