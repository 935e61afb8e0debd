/**
 * The `nightshift` command as a user runs it: `up --once --json` on a fresh NIGHTSHIFT_HOME starts
 * its own Temporal dev server and embedded PostgreSQL, seeds the SpamAssassin demo and promotes
 * the first model; registry commands then work with nothing running; a second `up` after the next
 * batch of mail decides against the champion.
 */

import net from 'node:net';
import path from 'node:path';
import { tempDir } from '../support/dirs.ts';
import { describe, expect, inject, it } from 'vitest';
import { canConnect, freePort } from '../../stack/ports.ts';
import { REPO, runCli } from '../support/cli.ts';
import { waitFor } from '../support/wait.ts';
import { spawn } from 'node:child_process';
import type { RunResult } from '../../workflows/definitions.ts';

const home = tempDir(path.join(inject('stateDir'), 'home-'));

async function stackEnv(): Promise<NodeJS.ProcessEnv> {
  return {
    NIGHTSHIFT_HOME: home,
    TEMPORAL_CLI_PATH: inject('temporalCli'),
    NIGHTSHIFT_TEMPORAL_PORT: String(await freePort()),
    NIGHTSHIFT_UI_PORT: String(await freePort()),
    NIGHTSHIFT_PG_PORT: String(await freePort()),
    NIGHTSHIFT_SERVE_PORT: String(await freePort()),
  };
}

describe.sequential('nightshift up --once --json', () => {
  let pgPort = '';

  it('runs the demo end to end on a fresh home and prints the decision record as JSON', async () => {
    const env = await stackEnv();
    pgPort = env.NIGHTSHIFT_PG_PORT!;
    const r = await runCli(['up', '--once', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout) as RunResult;
    expect(record).toMatchObject({ outcome: 'PROMOTED', model: 'spam', championVersion: null, candidateVersion: 1, champion: null });
    expect(record.candidate!.metrics.accuracy).toBeGreaterThan(0.95);
    expect(record.candidate!.metrics.f1).toBeGreaterThan(0.95);
    expect(record.snapshot!.newRows).toBeGreaterThan(2900);
    expect(r.stderr).toMatch(/seeded model spam: batch 1/);
  });

  it('shows the registry with nothing running (starting the embedded PostgreSQL itself)', async () => {
    const r = await runCli(['models', 'show', '--model', 'spam', '--json'], { NIGHTSHIFT_HOME: home, NIGHTSHIFT_PG_PORT: pgPort });
    expect(r.code, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout) as {
      production: number;
      versions: Array<{
        version: number;
        status: string;
        evaluation: { rows: number; outcome: string; metrics: { accuracy: number }; champion: unknown };
      }>;
    };
    expect(shown.production).toBe(1);
    expect(shown.versions).toHaveLength(1);
    expect(shown.versions[0]).toMatchObject({ version: 1, status: 'production' });
    // Measured on its own run's held-out rows (a first run: no champion beside it).
    expect(shown.versions[0].evaluation).toMatchObject({ outcome: 'PROMOTED', champion: null, rows: expect.any(Number) });
    expect(shown.versions[0].evaluation.rows).toBeGreaterThan(100);
    expect(shown.versions[0].evaluation.metrics.accuracy).toBeGreaterThan(0.95);
    const list = await runCli(['models', 'list'], { NIGHTSHIFT_HOME: home, NIGHTSHIFT_PG_PORT: pgPort });
    expect(list.stdout).toMatch(/^MODEL\s+PRODUCTION\s+VERSIONS\n/);
    expect(list.stdout).toMatch(/\nspam\s+v1\s+1\n/);
  });

  it('decides the next batch of mail against the champion', async () => {
    const batch = await runCli(['data', 'next-batch', '--json'], { NIGHTSHIFT_HOME: home, NIGHTSHIFT_PG_PORT: pgPort });
    expect(batch.code, batch.stderr).toBe(0);
    expect(JSON.parse(batch.stdout)).toMatchObject({ batch: 2, accepted: expect.any(Number) });
    const r = await runCli(['up', '--once', '--json'], await stackEnv());
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout) as RunResult;
    expect(['PROMOTED', 'REJECTED']).toContain(record.outcome);
    expect(record.championVersion).toBe(1);
    expect(record.candidateVersion).toBe(2);
    expect(record.champion!.metrics.accuracy).toBeGreaterThan(0.9);
    expect(record.decision!.firstRun).toBe(false);
  });
});

describe('a home whose `nightshift up` was killed with SIGKILL', () => {
  it('is recovered by the next `up`: the orphaned dev server and PostgreSQL are stopped, and the run works', async () => {
    const env: NodeJS.ProcessEnv = { ...(await stackEnv()), NIGHTSHIFT_HOME: tempDir(path.join(inject('stateDir'), 'killed-')) };
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'nightshift.js'), 'up', '--no-run', '--no-schedule'], {
      cwd: REPO,
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitFor('the stack to serve', async () => (/serving/.test(stderr) ? true : undefined), 120_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const r = await runCli(['up', '--once', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).outcome).toBe('PROMOTED');
    // The orphans were taken over or stopped: once `up --once` is done, nothing holds the ports.
    expect(await canConnect('127.0.0.1', Number(env.NIGHTSHIFT_PG_PORT))).toBe(false);
    expect(await canConnect('127.0.0.1', Number(env.NIGHTSHIFT_TEMPORAL_PORT))).toBe(false);
  });
});

describe('bad configuration fails fast with a message naming the problem', () => {
  it('an unreachable DATABASE_URL', async () => {
    const r = await runCli(
      ['models', 'list'],
      { NIGHTSHIFT_HOME: home, DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/nightshift' },
      30_000,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach PostgreSQL at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/nightshift/);
    expect(r.seconds).toBeLessThan(20);
  });

  it('an unreachable TEMPORAL_ADDRESS', async () => {
    const r = await runCli(['retrain', '--model', 'spam'], { NIGHTSHIFT_HOME: home, TEMPORAL_ADDRESS: '127.0.0.1:1' }, 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Temporal at TEMPORAL_ADDRESS=127\.0\.0\.1:1/);
  });

  it('a port already in use, naming the port', async () => {
    const server = net.createServer();
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
    );
    try {
      const env = {
        ...(await stackEnv()),
        NIGHTSHIFT_HOME: tempDir(path.join(inject('stateDir'), 'busy-')),
        NIGHTSHIFT_TEMPORAL_PORT: String(port),
      };
      const r = await runCli(['up', '--once'], env, 60_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`port ${port} \\(Temporal frontend\\) is already in use`));
    } finally {
      server.close();
    }
  });

  it('an unknown model', async () => {
    const r = await runCli(
      ['models', 'show', '--model', 'nope'],
      { NIGHTSHIFT_HOME: home, NIGHTSHIFT_PG_PORT: String(await freePort()) },
      60_000,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown model "nope"; known models: spam/);
  });

  it('a usage error exits 2 with the flag named', async () => {
    const r = await runCli(['retrain', '--model', 'spam', '--epochs', 'many'], { NIGHTSHIFT_HOME: home }, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--epochs must be an integer, got "many"/);
  });
});
