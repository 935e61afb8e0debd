/**
 * Configuration from the environment (README "Configuration"): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the
 * rest of Temporal's environment configuration (TLS, API key, TOML profiles: see
 * temporal-connection.ts), NIGHTSHIFT_TASK_QUEUE, DATABASE_URL, NIGHTSHIFT_HOME. With none set, the embedded stack is used.
 * Ports of the embedded stack: NIGHTSHIFT_TEMPORAL_PORT (7233), NIGHTSHIFT_UI_PORT (8233),
 * NIGHTSHIFT_PG_PORT (5433). The model server: NIGHTSHIFT_SERVE_PORT (8080), NIGHTSHIFT_SERVE_HOST
 * (127.0.0.1), NIGHTSHIFT_SERVE_TOKEN (or NIGHTSHIFT_SERVE_TOKEN_FILE).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadTemporalProfile, type TemporalSecurity } from './temporal-connection.ts';

/** The task queue of the worker and the workflows it starts, unless NIGHTSHIFT_TASK_QUEUE names another. */
export const DEFAULT_TASK_QUEUE = 'nightshift';

export interface Config {
  home: string;
  /** From TEMPORAL_ADDRESS or a TOML profile (stack/temporal-connection.ts); null: embedded. */
  temporalAddress: string | null;
  namespace: string;
  /** TLS, API key and gRPC metadata of that Temporal (TEMPORAL_TLS*, TEMPORAL_API_KEY, profiles). */
  temporalSecurity: TemporalSecurity;
  taskQueue: string;
  databaseUrl: string | null;
  temporalPort: number;
  uiPort: number;
  pgPort: number;
  /** The model server's port (NIGHTSHIFT_SERVE_PORT, default 8080). */
  servePort: number;
  /** The model server's address (NIGHTSHIFT_SERVE_HOST, default 127.0.0.1: loopback only). */
  serveHost: string;
  /** Bearer token the model server requires for feedback (NIGHTSHIFT_SERVE_TOKEN); required off loopback. */
  serveToken: string | null;
  /** How many activities (trainings) one worker runs at once (NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES, default 4). */
  maxConcurrentActivities: number;
  /** Training rows a worker holds per training (NIGHTSHIFT_TRAIN_BUFFER_ROWS, default 16384); read here so a bad value fails at start. */
  trainBufferRows: number;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a port number (1-65535), got ${JSON.stringify(raw)}`);
  return n;
}

/** A whole-number setting from the environment, within [min, max]; `fallback` when unset or empty. */
function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES: a worker's activity slots, so a fleet's trainings queue rather than pile up. */
export function maxConcurrentActivities(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumber(env, 'NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES', 4, 1, 1000);
}

/**
 * NIGHTSHIFT_TRAIN_BUFFER_ROWS: how many training rows a worker holds in memory per training
 * (default 16384). A longer history is streamed from the registry in pages of an eighth of this;
 * one that fits trains in memory, exactly as `nightshift train` does.
 */
export function trainBufferRows(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumber(env, 'NIGHTSHIFT_TRAIN_BUFFER_ROWS', 16_384, 8, 10_000_000);
}

/**
 * The model server's bearer token: NIGHTSHIFT_SERVE_TOKEN, or the contents of the file
 * NIGHTSHIFT_SERVE_TOKEN_FILE names (a secret mounted as a file). One trailing newline (as `echo`
 * and editors leave) is dropped; any other whitespace is refused here, at start: the server would
 * run with it and no client could ever send it in an Authorization header.
 */
export function serveToken(env: NodeJS.ProcessEnv = process.env): string | null {
  const file = env.NIGHTSHIFT_SERVE_TOKEN_FILE;
  let raw = env.NIGHTSHIFT_SERVE_TOKEN || null;
  let source = 'NIGHTSHIFT_SERVE_TOKEN';
  if (file) {
    if (raw) throw new Error('set NIGHTSHIFT_SERVE_TOKEN or NIGHTSHIFT_SERVE_TOKEN_FILE, not both');
    try {
      raw = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read NIGHTSHIFT_SERVE_TOKEN_FILE ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    source = `NIGHTSHIFT_SERVE_TOKEN_FILE (${file})`;
  }
  if (raw === null) return null;
  const token = raw.replace(/\r?\n$/, '');
  if (token === '') throw new Error(`${source} is empty`);
  const space = /\s/.exec(token);
  if (space)
    throw new Error(
      `${source} contains whitespace (${JSON.stringify(space[0])} at character ${space.index + 1}): a bearer token cannot, no client could send it; remove it`,
    );
  return token;
}

/**
 * The state directory when NIGHTSHIFT_HOME is unset: the nearest `.nightshift` in the current
 * directory or above it (as git finds .git), so any subdirectory of a project finds its stack;
 * else `./.nightshift`.
 */
export function findHome(cwd: string = process.cwd()): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.nightshift');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    if (path.dirname(dir) === dir) return path.resolve(cwd, '.nightshift');
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const temporal = loadTemporalProfile(env);
  return {
    home: env.NIGHTSHIFT_HOME ? path.resolve(env.NIGHTSHIFT_HOME) : findHome(),
    temporalAddress: temporal.address,
    namespace: temporal.namespace ?? 'default',
    temporalSecurity: temporal.security,
    taskQueue: env.NIGHTSHIFT_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    databaseUrl: env.DATABASE_URL || null,
    temporalPort: port(env, 'NIGHTSHIFT_TEMPORAL_PORT', 7233),
    uiPort: port(env, 'NIGHTSHIFT_UI_PORT', 8233),
    pgPort: port(env, 'NIGHTSHIFT_PG_PORT', 5433),
    servePort: port(env, 'NIGHTSHIFT_SERVE_PORT', 8080),
    serveHost: env.NIGHTSHIFT_SERVE_HOST || '127.0.0.1',
    serveToken: serveToken(env),
    maxConcurrentActivities: maxConcurrentActivities(env),
    trainBufferRows: trainBufferRows(env),
  };
}
