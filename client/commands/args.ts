/**
 * Shared flag parsing: node:util parseArgs with errors that name the flag, and the checks every
 * command shares (a model name, a number in range, a duration, a choice, a JSON file).
 * Loads nothing heavy: a command parses and checks its flags before it loads its own code.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkDuration, InvalidInputError, type DurationBounds } from '../../workflows/validate-input.ts';
import { didYouMean } from '../suggest.ts';
import { checkModelName } from '../../registry/models.ts';
import {
  checkHyperparameters,
  HYPERPARAMETER_KEYS,
  HYPERPARAMETERS,
  type HyperparameterSpec,
  type Hyperparameters,
} from '../../ml/hyperparameters.ts';
import { MlError } from '../../ml/errors.ts';
import { UsageError } from '../usage-error.ts';

export { UsageError };

/** parseArgs' own error, reworded as the rest of the CLI words its usage errors. */
export function describeParseError(err: Error & { code?: string }, known: readonly string[]): string {
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  // The option as typed ("--model", "-h"), without the "<value>" parseArgs adds to its name.
  const flag = quoted.split(/[ ,=]/)[0];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag}${didYouMean(flag, known)}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // "Option '-m, --model <value>' argument missing": name the long form.
      const long = /--[\w-]+/.exec(quoted)?.[0] ?? flag;
      if (/argument missing/.test(err.message)) return `${long} needs a value`;
      if (/argument is ambiguous/.test(err.message))
        return `${long} needs a value (for a value that starts with a dash, write ${long}=-VALUE)`;
      if (/does not take an argument/.test(err.message)) return `${long} takes no value`;
      return `${long}: ${err.message}`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(quoted)} (this command takes options only)`;
    default:
      return err.message;
  }
}

/**
 * Parses `argv` against exactly these options (each command and subcommand accepts its own flags
 * only); a mistake is a usage error in the CLI's words, an unknown flag with the nearest known one.
 * --help is answered before a command runs (client/cli.ts), so it is known here only to be suggested.
 */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (err) {
    const known = [...Object.keys(options), 'help'].map((k) => `--${k}`);
    throw new UsageError(describeParseError(err as Error & { code?: string }, known));
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

export interface NumberBounds {
  min?: number;
  max?: number;
  /** Whole numbers only. */
  integer?: boolean;
}

/** A number flag within bounds; undefined when not given. Errors name the flag, the bounds and the value. */
export function numberFlag(flag: string, raw: string | undefined, bounds: NumberBounds = {}): number | undefined {
  if (raw === undefined) return undefined;
  const { min = -Infinity, max = Infinity, integer = false } = bounds;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const range =
      Number.isFinite(min) && Number.isFinite(max)
        ? ` in ${min}..${max}`
        : Number.isFinite(min)
          ? ` >= ${min}`
          : Number.isFinite(max)
            ? ` <= ${max}`
            : '';
    throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'}${range}, got ${JSON.stringify(raw)}`);
  }
  return n;
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

/** A model name flag, checked as the registry checks names; a missing or bad one is a usage error. */
export function modelFlag(raw: string | undefined, command: string): string {
  if (!raw) throw new UsageError(`${command} needs --model NAME`);
  try {
    return checkModelName(raw);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** An optional --model: checked when given. */
export function optionalModelFlag(raw: string | undefined, command: string): string | undefined {
  return raw === undefined ? undefined : modelFlag(raw, command);
}

/** A file flag read as UTF-8 text; an unreadable file is a usage error naming the flag. */
export function textFileFlag(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export interface Subcommand {
  /** One line for the group's help. */
  summary: string;
  run: (argv: string[]) => Promise<number>;
}

/**
 * Runs `group SUB ...`: no subcommand or `help` prints the group's help (exit 0); an unknown one is
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

/** The hyperparameters named by flags, checked as a run would check them; errors name the flag. */
export function hyperparametersFrom(values: Record<string, string | boolean | undefined | (string | boolean)[]>): Hyperparameters {
  const h: Record<string, unknown> = {};
  for (const key of HYPERPARAMETER_KEYS) {
    const spec: HyperparameterSpec = HYPERPARAMETERS[key];
    const raw = values[spec.flag];
    if (raw === undefined || raw === false) continue;
    if (spec.kind === 'switch') h[key] = spec.sets;
    else if (typeof raw === 'string')
      h[key] = spec.kind === 'choice' ? raw : numberFlag(spec.flag, raw, { integer: spec.kind === 'integer' });
  }
  try {
    return checkHyperparameters(h, (key) => `--${HYPERPARAMETERS[key].flag}`);
  } catch (err) {
    if (err instanceof MlError) throw new UsageError(err.message);
    throw err;
  }
}
