/**
 * As root a home's PostgreSQL data lives apart from it (/var/lib/nightshift/<id>): renaming the
 * checkout must keep its registry (the id is stored in the home), and data whose home is gone is
 * set aside, never deleted, so a home moved back finds it again.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { freePort } from '../../stack/ports.ts';

// 0700, as a checkout under /root or a `mktemp -d` is.
const root = mkdtempSync(path.join(os.tmpdir(), 'nightshift-rename-'));
// This file's own system directory (NIGHTSHIFT_SYSTEM_DIR), so that no command of another test
// file, running at the same time as root, sweeps the data this test leaves homeless before the
// command whose message it checks does.
const systemDir = os.userInfo().uid === 0 ? mkdtempSync('/var/lib/nightshift-test-') : '';
if (systemDir) chmodSync(systemDir, 0o755);
const UNCLAIMED_DIR = path.join(systemDir, 'unclaimed');
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (systemDir) rmSync(systemDir, { recursive: true, force: true });
});

async function env(home: string): Promise<NodeJS.ProcessEnv> {
  return {
    NIGHTSHIFT_HOME: home,
    NIGHTSHIFT_PG_PORT: String(await freePort()),
    TEMPORAL_CLI_PATH: inject('temporalCli'),
    NIGHTSHIFT_SYSTEM_DIR: systemDir,
  };
}

async function importInto(home: string, model: string): Promise<void> {
  const file = path.join(root, `${model}.jsonl`);
  writeFileSync(
    file,
    ['spam', 'ham', 'spam'].map((label, i) => JSON.stringify({ text: `${label} message ${i}`, label })).join('\n') + '\n',
  );
  const r = await runCli(['data', 'import', '--model', model, '--file', file, '--create', '--json'], await env(home));
  expect(r.code, r.stderr).toBe(0);
}

async function modelNames(home: string): Promise<{ names: string[]; stderr: string }> {
  const r = await runCli(['models', 'list', '--json'], await env(home));
  expect(r.code, r.stderr).toBe(0);
  return { names: (JSON.parse(r.stdout) as { models: Array<{ name: string }> }).models.map((m) => m.name), stderr: r.stderr };
}

describe.runIf(os.userInfo().uid === 0)('a home whose PostgreSQL data lives in /var/lib/nightshift', () => {
  it('keeps its registry when the checkout is renamed, and data of a deleted home is set aside, not deleted', async () => {
    mkdirSync(path.join(root, 'checkout-a'));
    const before = path.join(root, 'checkout-a', '.nightshift');
    await importInto(before, 'renamed');
    expect((await modelNames(before)).names).toEqual(['renamed']);

    renameSync(path.join(root, 'checkout-a'), path.join(root, 'checkout-b'));
    const after = path.join(root, 'checkout-b', '.nightshift');
    const listed = await modelNames(after);
    expect(listed.names).toEqual(['renamed']);
    expect(listed.stderr).toContain(`home moved from ${before} to ${after}`);

    // A home deleted (or moved and not started since): another command sets its data aside, and says where.
    mkdirSync(path.join(root, 'checkout-c'));
    const gone = path.join(root, 'checkout-c', '.nightshift');
    await importInto(gone, 'elsewhere');
    const id = readFileSync(path.join(gone, 'pg-data-id'), 'utf8').trim();
    renameSync(path.join(root, 'checkout-c'), path.join(root, 'moved-away'));
    const swept = await modelNames(after);
    expect(swept.stderr).toContain(`PostgreSQL data of ${gone} (no longer there) moved aside to ${path.join(UNCLAIMED_DIR, id)}`);
    expect(existsSync(path.join(UNCLAIMED_DIR, id, 'pg', 'PG_VERSION'))).toBe(true);
    // The moved home gets it back when it next starts.
    const back = await modelNames(path.join(root, 'moved-away', '.nightshift'));
    expect(back.names).toEqual(['elsewhere']);
    expect(back.stderr).toContain('moved it back');
  });
});
