/** The hyperparameter part of `retrain --help` and `train --help`, from the one table in ml/hyperparameters.ts. */
import { hyperparameterDefault, HYPERPARAMETER_KEYS, HYPERPARAMETERS, type HyperparameterSpec } from '../../ml/hyperparameters.ts';
import { wrap } from './wrap.ts';

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

const FLAG_COLUMN = 27;

export const HYPERPARAMETER_HELP = [
  'Hyperparameters (defaults in parentheses):',
  ...HYPERPARAMETER_KEYS.map((key) => {
    const spec: HyperparameterSpec = HYPERPARAMETERS[key];
    return wrap(`${spec.help}${describeDefault(key)}`, `  ${flagUsage(spec).padEnd(FLAG_COLUMN - 2)} `);
  }),
].join('\n');
