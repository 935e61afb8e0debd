/**
 * The embedded PostgreSQL's passwords: random per home, in $NIGHTSHIFT_HOME/postgres-credentials.json
 * readable by its owner only (0600, in a 0700 home). Every process sharing the home reads them from
 * there; nothing else (stack.json, logs, messages) carries them. The superuser is used only to
 * create the application's role and database; the application connects as that role, which is
 * not a superuser (so it cannot, say, run `COPY ... TO PROGRAM`).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PG_SUPERUSER = 'postgres';
export const PG_APP_ROLE = 'nightshift_app';
export const PG_DATABASE = 'nightshift';
/** The password every home had before per-home passwords: used once to replace it. */
export const LEGACY_SUPERUSER_PASSWORD = 'nightshift';

export interface PgCredentials {
  superuserPassword: string;
  appPassword: string;
}

export const credentialsFile = (home: string): string => path.join(home, 'postgres-credentials.json');

/** Creates the home if needed and makes it private to its owner (0700). */
export function preparePrivateHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  if ((statSync(home).mode & 0o077) !== 0) chmodSync(home, 0o700);
}

function readCredentials(file: string): PgCredentials | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const parsed = JSON.parse(text) as Partial<PgCredentials>;
  if (typeof parsed.superuserPassword !== 'string' || typeof parsed.appPassword !== 'string') {
    throw new Error(`${file} is not a Nightshift credentials file; remove it and the home's PostgreSQL data to start afresh`);
  }
  return { superuserPassword: parsed.superuserPassword, appPassword: parsed.appPassword };
}

/** The home's credentials; created (atomically, 0600) by the first process that needs them. */
export function loadOrCreateCredentials(home: string): { credentials: PgCredentials; created: boolean } {
  const file = credentialsFile(home);
  const existing = readCredentials(file);
  if (existing) return { credentials: existing, created: false };
  const fresh: PgCredentials = { superuserPassword: randomBytes(24).toString('hex'), appPassword: randomBytes(24).toString('hex') };
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(fresh, null, 2) + '\n', { mode: 0o600 });
  try {
    // link() fails if another process created the file first: its passwords win, complete.
    linkSync(tmp, file);
    return { credentials: fresh, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { credentials: readCredentials(file)!, created: false };
  } finally {
    rmSync(tmp, { force: true });
  }
}

export function appDatabaseUrl(credentials: PgCredentials, port: number): string {
  return `postgres://${PG_APP_ROLE}:${credentials.appPassword}@127.0.0.1:${port}/${PG_DATABASE}`;
}

export function superuserUrl(credentials: PgCredentials, port: number, database = 'postgres'): string {
  return `postgres://${PG_SUPERUSER}:${credentials.superuserPassword}@127.0.0.1:${port}/${database}`;
}
