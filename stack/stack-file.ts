/**
 * $NIGHTSHIFT_HOME/stack.json: how `nightshift up` tells other processes with the same home where
 * its Temporal server and PostgreSQL are. Valid while the pid that wrote it is alive.
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
  databaseUrl: string;
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
    if (stack.pid === pid) rmSync(file, { force: true });
  } catch {
    // nothing to remove
  }
}
