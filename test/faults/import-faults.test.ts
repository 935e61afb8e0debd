/**
 * Imports never half-finish (docs/reliability.md, rows 13-15): poison lines among good ones, an
 * import that fails as a whole, an endless stream, a device as --file, an unknown model.
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/services.ts';
import { REPO, runCli } from '../support/cli.ts';
import { tempDir } from '../support/dirs.ts';
import { waitFor } from '../support/wait.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { importRows } from '../support/runs.ts';

let database: TestDatabase;
const dir = tempDir(path.join(inject('stateDir'), 'import-faults-'));
const env = () => ({ DATABASE_URL: database.url, NIGHTSHIFT_HOME: path.join(dir, 'home') });
const count = async (model: string): Promise<number> =>
  Number(
    (await database.db.query('SELECT count(*) AS n FROM examples e JOIN models m ON m.id = e.model_id WHERE m.name = $1', [model])).rows[0]
      .n,
  );

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('poison lines', () => {
  it('each bad line is refused with its reason, every good line goes in, across batch boundaries', async () => {
    const good = syntheticTexts(1200, ['a', 'b'], 31).map((r) => JSON.stringify(r));
    const poison: Array<[number, string, string]> = [
      [100, '{"text": "nul id", "label": "a", "id": "x\\u0000y"}', 'id contains a NUL character'],
      [300, '{"text": "far ts", "label": "a", "ts": "+275000-01-01T00:00:00Z"}', 'is outside years 0001-9999'],
      [500, '{"text": "ancient", "label": "a", "ts": "-009999-01-01T00:00:00Z"}', 'is outside years 0001-9999'],
      [800, '{"text": "lone surrogate", "label": "a", "note": "\\ud800"}', 'metadata.note contains a lone UTF-16 surrogate'],
      [801, '{"text": "nul key", "label": "a", "meta": {"k\\u0000": 1}}', 'contains a NUL character'],
      [900, '{"text": "surrogate text \\udc00", "label": "a"}', 'text contains a lone UTF-16 surrogate'],
      [1000, `{"text": "long label", "label": "${'x'.repeat(201)}"}`, 'label is longer than 200 characters'],
    ];
    const lines = [...good];
    for (const [at, line] of poison) lines.splice(at - 1, 0, line);
    // 150 emoji are 150 characters (300 UTF-16 units): a valid label.
    lines.push(JSON.stringify({ text: 'emoji label', label: '🙂'.repeat(150) }));
    const file = path.join(dir, 'poison.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await runCli(['data', 'import', '--model', 'poison', '--create', '--file', file, '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { accepted: number; duplicates: number; rejected: Array<{ line: number; reason: string }> };
    expect(report.rejected.map((x) => x.line)).toEqual(poison.map(([at]) => at));
    poison.forEach(([, , reason], i) => expect(report.rejected[i].reason).toContain(reason));
    expect(report.accepted + report.duplicates).toBe(1201);
    expect(await count('poison')).toBe(report.accepted);
  });

  it('an import that rejected every line exits 1; an unknown model is refused with the nearest name (exit 2)', async () => {
    const bad = path.join(dir, 'all-bad.jsonl');
    writeFileSync(bad, 'nope\n{"text": ""}\n');
    const allBad = await runCli(['data', 'import', '--model', 'poison', '--file', bad], env());
    expect(allBad.code).toBe(1);
    expect(allBad.stderr).toMatch(/every line .* was rejected/);
    const typo = await runCli(['data', 'import', '--model', 'poisn', '--file', bad], env());
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/model "poisn" does not exist; did you mean "poison"\? \(pass --create to create it\)/);
    const long = await runCli(['data', 'import', '--model', 'm'.repeat(101), '--create', '--file', bad], env());
    expect(long.stderr).toMatch(/invalid model name .*1-100/);
  });
});

describe('an import fails as a whole', () => {
  it('nothing it read is stored when its connection is cut midway, and it says so', async () => {
    await importRows(database.db, 'atomic', [{ text: 'seed row', label: 'a' }]);
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'nightshift.js'), 'data', 'import', '--model', 'atomic', '--file', '-'], {
      env: { ...process.env, ...env() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const rows = syntheticTexts(3000, ['a', 'b'], 77).map((r) => JSON.stringify(r) + '\n');
    child.stdin.write(rows.slice(0, 2000).join(''));
    // Wait until the import's transaction has written rows, then cut its connection.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // Fails the test when no writing transaction showed up to cut.
    await waitFor(
      "the import's transaction to write, to cut its connection",
      async () => {
        const { rows: active } = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL`,
        );
        let n = 0;
        for (const a of active) n += (await admin.query('SELECT pg_terminate_backend($1) AS ok', [a.pid])).rows[0].ok ? 1 : 0;
        return n > 0 ? n : undefined;
      },
      20_000,
      100,
    ).finally(() => admin.end());
    child.stdin.end(rows.slice(2000).join(''));
    const code = await new Promise<number | null>((r) => child.once('close', r));
    expect(code).toBe(1);
    expect(stderr).toMatch(/nothing was imported \(an import is one transaction, rolled back\)/);
    expect(await count('atomic')).toBe(1);
  });
});

describe('endless input', () => {
  it('--file /dev/zero is refused at once; an endless standard input is read with bounded memory', async () => {
    const device = await runCli(['data', 'import', '--model', 'poison', '--file', '/dev/zero'], env(), 20_000);
    expect(device.code).toBe(2);
    expect(device.stderr).toMatch(/is not a regular file/);

    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'nightshift.js'), 'data', 'import', '--model', 'poison', '--file', '-'], {
      env: { ...process.env, ...env() },
      stdio: [openSync('/dev/zero', 'r'), 'ignore', 'ignore'],
    });
    const rssKb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
    const bytesRead = (): number => Number(/rchar:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/io`, 'utf8'))?.[1] ?? 0);
    // Read until 1 GiB has gone through (however long a loaded machine takes), sampling memory:
    // a reader that kept what it read would hold more than three times the bound below.
    const samples: number[] = [];
    const started = Date.now();
    try {
      await waitFor(
        '1 GiB of standard input read',
        async () => {
          samples.push(rssKb());
          return bytesRead() >= 1024 ** 3 ? true : undefined;
        },
        120_000,
        250,
      );
    } finally {
      console.log(
        `endless stdin: read ${(bytesRead() / 1e9).toFixed(2)} GB in ${((Date.now() - started) / 1000).toFixed(1)} s; RSS samples (MB): ${samples.map((k) => Math.round(k / 1024)).join(' ')}`,
      );
      child.kill('SIGKILL');
    }
    expect(Math.max(...samples) / 1024).toBeLessThan(300);
  });
});
