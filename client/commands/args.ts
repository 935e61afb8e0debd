/** Shared flag parsing: node:util parseArgs with errors that name the flag. */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkDuration, InvalidInputError, type DurationBounds } from '../../workflows/validate-input.ts';
import { didYouMean } from '../suggest.ts';
import { checkModelName } from '../../registry/models.ts';
import {
  checkHyperparameters,
  hyperparameterDefault,
  HYPERPARAMETER_KEYS,
  HYPERPARAMETERS,
  type HyperparameterSpec,
  type Hyperparameters,
} from '../../ml/hyperparameters.ts';
import { MlError } from '../../ml/errors.ts';

export class UsageError extends Error {}

/**
 * Parses `argv` against exactly these options (each command and subcommand accepts its own flags
 * only); an unknown flag is a usage error that suggests the nearest known one.
 */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(--?[^'=]+)/.exec(e.message)?.[1] : undefined;
    if (unknown) {
      const known = [...Object.keys(options), 'help'].map((k) => `--${k}`);
      throw new UsageError(`unknown option ${unknown}${didYouMean(unknown, known)}; see --help`);
    }
    throw new UsageError(e.message);
  }
}

/** A duration flag checked as the run will check it (DURATION_BOUNDS); errors name the flag. */
export function durationFlag(flag: string, raw: string | undefined, bounds: DurationBounds): string | undefined {
  if (raw === undefined) return undefined;
  try {
    checkDuration(raw, `--${flag}`, bounds);
  } catch (err) {
    if (err instanceof InvalidInputError) throw new UsageError(err.message);
    throw err;
  }
  return raw;
}

/** A choice flag; errors list the choices and suggest the nearest. */
export function choiceFlag<C extends string>(flag: string, raw: string | undefined, choices: readonly C[]): C | undefined {
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}${didYouMean(raw, choices)}`);
  }
  return raw as C;
}

/** Reads and parses a JSON file named by a flag; an unreadable or malformed file is a usage error. */
export function jsonFileFlag(flag: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`--${flag} ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A model name flag, checked as the registry checks names; a bad one is a usage error. */
export function modelFlag(raw: string | undefined, command: string): string {
  if (!raw) throw new UsageError(`${command} needs --model NAME`);
  try {
    return checkModelName(raw);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export interface Subcommand {
  /** One line for the group's help. */
  summary: string;
  run: (argv: string[]) => Promise<number>;
}

/**
 * Runs `group SUB ...`: no subcommand or --help prints the group's help (exit 0); an unknown one is
 * a usage error suggesting the nearest.
 */
export async function dispatch(group: string, argv: string[], help: string, subcommands: Record<string, Subcommand>): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(help + '\n');
    return 0;
  }
  const chosen = subcommands[sub];
  if (!chosen) {
    const names = Object.keys(subcommands);
    throw new UsageError(`unknown subcommand ${group} ${sub}${didYouMean(sub, names)}; use ${names.join(', ')}`);
  }
  return chosen.run(rest);
}

type FlagOption = { type: 'string' } | { type: 'boolean' };

/** The hyperparameter flags, from the one table in ml/hyperparameters.ts. */
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
