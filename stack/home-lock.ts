/**
 * How processes sharing a home share one embedded PostgreSQL: a lock (a directory, created
 * atomically, naming its holder's pid) serializes starting and stopping the server, and each
 * process using it registers a file named after its pid in postgres-users/. The first user starts
 * the server; the last one to leave stops it; a user killed with SIGKILL leaves a file whose pid
 * is dead, which the next process holding the lock removes.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from './processes.ts';

const lockDir = (home: string): string => path.join(home, 'postgres.lock');
const usersDir = (home: string): string => path.join(home, 'postgres-users');

function lockHolder(dir: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Runs `fn` holding the home's PostgreSQL lock; a lock whose holder died is taken over. */
export async function withHomeLock<T>(home: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const dir = lockDir(home);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = lockHolder(dir);
    let age = 0;
    try {
      age = Date.now() - statSync(dir).mtimeMs;
    } catch {
      continue;
    }
    // A dead holder, or a lock whose holder never wrote its pid (killed between mkdir and write).
    if ((holder !== null && !isAlive(holder)) || (holder === null && age > 5000)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the PostgreSQL lock ${dir} (held by pid ${holder})`);
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Registers this process as a user of the home's server (call holding the lock). */
export function registerUser(home: string, id: string): void {
  mkdirSync(usersDir(home), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(usersDir(home), id), String(process.pid));
}

export function unregisterUser(home: string, id: string): void {
  rmSync(path.join(usersDir(home), id), { force: true });
}

/** The live users of the home's server, after removing those whose process died (call holding the lock). */
export function liveUsers(home: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(usersDir(home));
  } catch {
    return [];
  }
  return entries.filter((id) => {
    const pid = Number(id.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return true;
    rmSync(path.join(usersDir(home), id), { force: true });
    return false;
  });
}

/** A process's start time (clock ticks since boot, from /proc), so a reused pid is not taken for the holder; null off Linux. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

const stackLockFile = (home: string): string => path.join(home, 'up.lock');

/** The live process holding the home's stack lock, or null (a holder that died, or a reused pid, holds nothing). */
function stackLockHolder(file: string): number | null {
  let fields: string[];
  try {
    fields = readFileSync(file, 'utf8').trim().split(' ');
  } catch {
    return null;
  }
  const [pid, started] = [Number(fields[0]), fields[1]];
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  const now = startTime(pid);
  return started && now && started !== now ? null : pid;
}

/**
 * Claims the home for one `nightshift up` from before its start-up to its exit (stack.json only
 * appears once the services are up, so it cannot stop a second `up` started meanwhile from taking
 * over the first's Temporal server). Throws naming the live holder; a lock left by a process that
 * died is taken over. The lock goes with release() or the process's exit.
 */
export async function claimStackLock(home: string): Promise<{ release(): void }> {
  const file = stackLockFile(home);
  const mine = `${process.pid} ${startTime(process.pid) ?? ''}`.trim();
  // Checked and written under the home lock: two processes finding a dead holder cannot both take over.
  await withHomeLock(home, async () => {
    const holder = stackLockHolder(file);
    if (holder !== null && holder !== process.pid)
      throw new Error(`a Nightshift stack is already running or starting for ${home} (pid ${holder}); stop it first`);
    writeFileSync(file, mine + '\n', { mode: 0o600 });
  });
  const release = (): void => {
    try {
      if (readFileSync(file, 'utf8').trim() === mine) rmSync(file, { force: true });
    } catch {
      // already gone
    }
    process.off('exit', release);
  };
  process.on('exit', release);
  return { release };
}
