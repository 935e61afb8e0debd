/**
 * `data import --create` stopped with Ctrl-C: the model is created in the import's own
 * transaction, so the interruption leaves no empty model behind, and the command says what happened.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/services.ts';
import { REPO } from '../support/cli.ts';
import { tempDir } from '../support/dirs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { waitFor } from '../support/wait.ts';

let database: TestDatabase;
const dir = tempDir(path.join(inject('stateDir'), 'import-interrupt-'));
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('data import --create interrupted', () => {
  it('by Ctrl-C mid-stream: nothing imported, no model created, and it says so (exit 130)', async () => {
    const child = spawn(
      process.execPath,
      [path.join(REPO, 'bin', 'nightshift.js'), 'data', 'import', '--model', 'half-made', '--create', '--file', '-'],
      { env: { ...process.env, DATABASE_URL: database.url, NIGHTSHIFT_HOME: path.join(dir, 'home') }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<number | null>((r) => child.once('close', r));
    child.stdin.write(
      syntheticTexts(2000, ['a', 'b'], 5)
        .map((r) => JSON.stringify(r) + '\n')
        .join(''),
    );
    // Wait until the import's transaction has written rows (stdin stays open: the import is mid-stream).
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await waitFor(
      'the import transaction writing',
      async () =>
        (
          await admin.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL`,
          )
        ).rowCount || undefined,
      60_000,
      100,
    );
    await admin.end();
    child.kill('SIGINT');
    expect(await closed, stderr).toBe(130);
    expect(stderr).toMatch(
      /data import interrupted \(SIGINT\): nothing was imported \(the import is one transaction, rolled back\); model half-made was not created/,
    );
    const { rows } = await database.db.query('SELECT name FROM models WHERE name = $1', ['half-made']);
    expect(rows).toEqual([]);
  });
});
