/**
 * $NIGHTSHIFT_HOME/stack.json: how `nightshift up` tells other processes with the same home where
 * its Temporal server and PostgreSQL are. Valid while the pid that wrote it is alive. It holds no
 * secret: the embedded PostgreSQL's passwords are in postgres-credentials.json, and an external
 * DATABASE_URL given to `up` in database-url, both readable by the home's owner only.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from './processes.ts';

export interface StackFile {
  pid: number;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string | null;
  /** Where the registry is: the home's embedded PostgreSQL, or DATABASE_URL given to `up` (see readSharedDatabaseUrl). */
  database: 'embedded' | 'external';
  /** The model server `nightshift up` started, when it started one. */
  serveUrl?: string;
  startedAt: string;
}

const fileOf = (home: string): string => path.join(home, 'stack.json');

export function readStackFile(home: string): StackFile | null {
  const file = fileOf(home);
  if (!existsSync(file)) return null;
  try {
    const stack = JSON.parse(readFileSync(file, 'utf8')) as StackFile;
    return isAlive(stack.pid) ? stack : null;
  } catch {
    return null;
  }
}

export function writeStackFile(home: string, stack: StackFile): void {
  writeFileSync(fileOf(home), JSON.stringify(stack, null, 2) + '\n');
}

export function removeStackFile(home: string, pid = process.pid): void {
  const file = fileOf(home);
  try {
    const stack = JSON.parse(readFileSync(file, 'utf8')) as StackFile;
    if (stack.pid === pid) {
      rmSync(file, { force: true });
      rmSync(databaseUrlFile(home), { force: true });
    }
  } catch {
    // nothing to remove
  }
}

const databaseUrlFile = (home: string): string => path.join(home, 'database-url');

/** `up` given DATABASE_URL shares it with the home's other processes in a file only the owner can read. */
export function writeSharedDatabaseUrl(home: string, url: string): void {
  rmSync(databaseUrlFile(home), { force: true });
  writeFileSync(databaseUrlFile(home), url + '\n', { mode: 0o600 });
}

export function readSharedDatabaseUrl(home: string): string | null {
  try {
    return readFileSync(databaseUrlFile(home), 'utf8').trim() || null;
  } catch {
    return null;
  }
}
