/**
 * Webhook URLs with credentials (user:pass@): refused by `notify add` (exit 2), and those stored
 * before (or written by hand) are never delivered to and never shown, stored in deliveries or
 * reported with their secret.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/dirs.ts';
import { createTestDatabase, type TestDatabase } from '../support/services.ts';
import { loadMigrations, migrate } from '../../registry/migrate.ts';

const SECRET = 's3cret-pw';
let database: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  database = await createTestDatabase({ migrated: false });
  env = { DATABASE_URL: database.url, NIGHTSHIFT_HOME: tempDir(path.join(inject('stateDir'), 'webhook-creds-')) };
});
afterAll(async () => {
  await database?.drop();
});

async function tableText(): Promise<string> {
  const targets = await database.db.query('SELECT url FROM notification_targets');
  const deliveries = await database.db.query('SELECT url, error FROM notification_deliveries');
  return JSON.stringify([targets.rows, deliveries.rows]);
}

describe('webhook URLs with credentials', () => {
  it('stored before the fix lose their secret when the registry is migrated', async () => {
    await migrate(
      database.db,
      loadMigrations().filter((m) => m.version < 10),
    );
    await database.db.query(`INSERT INTO notification_targets (url, events, created_by) VALUES ($1, $2, 'test')`, [
      `https://hook:${SECRET}@127.0.0.1:1/x`,
      ['promoted'],
    ]);
    await database.db.query(
      `INSERT INTO notification_deliveries (url, event, status, error, attempt, source) VALUES ($1, 'promoted', 'failed', 'x', 1, 's')`,
      [`https://hook:${SECRET}@127.0.0.1:1/x`],
    );
    await migrate(database.db);
    expect(await tableText()).not.toContain(SECRET);
    const { rows } = await database.db.query<{ url: string }>('SELECT url FROM notification_targets');
    expect(rows[0].url).toMatch(/^https:\/\/redacted-\d+@127\.0\.0\.1:1\/x$/);
  });

  it('are refused by notify add (exit 2, naming the flag, without echoing the secret)', async () => {
    const r = await runCli(['notify', 'add', '--url', `https://hook:${SECRET}@127.0.0.1:1/y`], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--url must not carry credentials \(user:pass@\)/);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
  });

  it('one written by hand is listed without its secret, never delivered to, and its delivery is recorded without it', async () => {
    await database.db.query(`INSERT INTO notification_targets (url, events, created_by) VALUES ($1, $2, 'by hand')`, [
      `http://admin:${SECRET}@127.0.0.1:1/z`,
      ['promoted'],
    ]);
    const list = await runCli(['notify', 'list', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toContain(SECRET);
    const targets = (JSON.parse(list.stdout) as { targets: Array<{ url: string; credentialsRefused: boolean }> }).targets;
    expect(targets.map((t) => t.credentialsRefused)).toEqual([true, true]);
    expect(targets[1].url).toBe('http://127.0.0.1:1/z');
    const test = await runCli(['notify', 'test', '--event', 'promoted'], env);
    expect(test.code).toBe(1);
    expect(test.stdout).toMatch(/0 delivered, 2 failed/);
    expect(test.stdout).toMatch(/the webhook URL carried credentials \(refused\)/);
    expect(test.stdout + test.stderr).not.toContain(SECRET);
    const deliveries = await database.db.query<{ url: string; error: string }>(
      "SELECT url, error FROM notification_deliveries WHERE source LIKE 'notify-test-%' ORDER BY id",
    );
    expect(deliveries.rows.map((d) => d.url).sort()).toEqual(['http://127.0.0.1:1/z', 'https://127.0.0.1:1/x']);
    expect(JSON.stringify(deliveries.rows)).not.toContain(SECRET);
  });
});
