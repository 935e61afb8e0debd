import { SEARCH_ATTRIBUTES } from '../../workflows/definitions.ts';
/**
 * Faults 4 and 5 of docs/reliability.md: PostgreSQL stops during a run and comes back; the
 * Temporal dev server restarts (same SQLite state file) during a run, while `retrain --wait`
 * follows it. The worker is a separate process (`node bin/worker.js`) and must survive both.
 */

import type { retrainModel } from '../../workflows/index.ts';
import path from 'node:path';
import { tempDir } from '../support/dirs.ts';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { startEmbeddedPostgres, type EmbeddedPg } from '../../stack/embedded-postgres.ts';
import { startDevServer, type DevServer } from '../../stack/temporal-server.ts';
import { freePort } from '../../stack/ports.ts';
import { createPool, type Db } from '../../registry/pool.ts';
import { migrate } from '../../registry/migrate.ts';
import { releaseNextBatch } from '../../data/spam-demo.ts';
import { runProgress } from '../../runs/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/services.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';
import { WaitAbandoned, waitFor } from '../support/wait.ts';
import { spawnCli } from '../support/cli.ts';
import type { RetrainInput, RunResult } from '../../workflows/definitions.ts';

const dir = tempDir(path.join(inject('stateDir'), 'outages-'));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
});

const input = (model: string): RetrainInput => ({
  model,
  trigger: 'test',
  trainingHeartbeatTimeout: '5 seconds',
  stepTimeout: '10 seconds',
  hyperparameters: { epochs: 30, earlyStopping: false, batchSize: 1, seed: 3 },
});

async function registryIsConsistent(db: Db): Promise<void> {
  const { rows } = await db.query<{ model_id: string; production: string; corrupt: string; orphan_decisions: string }>(`
    SELECT m.id AS model_id,
      (SELECT count(*) FROM model_versions v WHERE v.model_id = m.id AND v.status = 'production') AS production,
      (SELECT count(*) FROM model_versions v WHERE v.model_id = m.id AND encode(sha256(v.weights), 'hex') <> v.sha256) AS corrupt,
      (SELECT count(*) FROM decisions d WHERE d.model_id = m.id AND NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.model_version_id = d.candidate_version_id)) AS orphan_decisions
    FROM models m`);
  for (const r of rows) {
    expect(Number(r.production)).toBe(1);
    expect(Number(r.corrupt)).toBe(0);
    expect(Number(r.orphan_decisions)).toBe(0);
  }
  const aliases = await db.query(
    `SELECT a.model_id FROM aliases a JOIN model_versions v ON v.id = a.version_id WHERE v.status <> 'production'`,
  );
  expect(aliases.rows).toEqual([]);
}

describe('PostgreSQL goes away during a run and comes back', () => {
  it('the worker survives, the activities retry, the run completes and nothing half-written is visible', async () => {
    const home = path.join(dir, 'pg-home');
    const port = await freePort();
    let pg: EmbeddedPg = await startEmbeddedPostgres(home, port, () => undefined);
    cleanups.push(() => pg.stop());
    const db = createPool(pg.databaseUrl);
    cleanups.push(() => db.end());
    await migrate(db);
    await releaseNextBatch(db, 'pgdown');
    const taskQueue = `pgdown-${Date.now()}`;
    const worker: WorkerProcess = await startWorkerProcess({
      temporalAddress: inject('temporalAddress'),
      databaseUrl: pg.databaseUrl,
      taskQueue,
      home: path.join(dir, 'w1'),
    });
    cleanups.push(async () => worker.kill('SIGKILL'));
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    const handle = await client.workflow.start<typeof retrainModel>('retrainModel', {
      taskQueue,
      workflowId: `pgdown-${Date.now()}`,
      args: [input('pgdown')],
    });
    await waitFor(
      'training past epoch 2',
      async () => {
        const p = await runProgress(client, handle.workflowId);
        return p.stage === 'training' && (p.epoch ?? 0) >= 2 ? p : undefined;
      },
      120_000,
      50,
    );

    await pg.stop();
    // PostgreSQL stays down until the training attempt has failed on it (its next checkpoint or
    // page read) and Temporal holds the training for a retry: the outage the run must survive.
    const hit = await waitFor(
      'the training to fail on the outage',
      async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        const training = pending.find((a) => a.activityType?.name === 'trainCandidate');
        if (!training) {
          const p = await runProgress(client, handle.workflowId);
          throw new WaitAbandoned(`training is not running (stage ${p.stage}): the outage came after it`);
        }
        return (training.attempt ?? 1) >= 2 && training.lastFailure ? training : undefined;
      },
      120_000,
      100,
    );
    console.log(`training attempt ${(hit.attempt ?? 2) - 1} failed during the outage: ${hit.lastFailure!.message}`);
    // Whichever way PostgreSQL's going reached the training: refused, terminated, or still shutting down.
    expect(hit.lastFailure!.message).toMatch(/ECONNREFUSED|terminat|connect|shutting down|starting up/i);
    pg = await startEmbeddedPostgres(home, port, () => undefined);

    const result = (await handle.result()) as RunResult;
    expect(result.outcome).toBe('PROMOTED');
    expect(worker.child.exitCode).toBeNull();
    expect(result.training!.attempts.length).toBeGreaterThanOrEqual(2);
    expect(result.training!.attempts.at(-1)!.resumedFromEpoch).toBeGreaterThanOrEqual(2);
    await registryIsConsistent(db);
    const versions = await db.query(`SELECT count(*) AS n FROM model_versions WHERE workflow_id = $1`, [handle.workflowId]);
    expect(Number(versions.rows[0].n)).toBe(1);
  });
});

describe('the Temporal dev server restarts during a run', () => {
  it('the run completes on the same state file', async () => {
    const home = path.join(dir, 'temporal-home');
    const ports = { port: await freePort(), uiPort: await freePort() };
    let server: DevServer = await startDevServer({
      searchAttributes: SEARCH_ATTRIBUTES,
      cli: inject('temporalCli'),
      home,
      ...ports,
      namespace: 'default',
    });
    cleanups.push(() => server.stop());
    const database: TestDatabase = await createTestDatabase();
    cleanups.push(() => database.drop());
    await releaseNextBatch(database.db, 'restart');
    const taskQueue = `restart-${Date.now()}`;
    const worker = await startWorkerProcess({
      temporalAddress: server.address,
      databaseUrl: database.url,
      taskQueue,
      home: path.join(dir, 'w2'),
    });
    cleanups.push(async () => worker.kill('SIGKILL'));
    let connection = await Connection.connect({ address: server.address });
    let client = new Client({ connection });
    const workflowId = `restart-${Date.now()}`;
    await client.workflow.start<typeof retrainModel>('retrainModel', { taskQueue, workflowId, args: [input('restart')] });
    await waitFor(
      'training past epoch 2',
      async () => {
        const p = await runProgress(client, workflowId);
        return p.stage === 'training' && (p.epoch ?? 0) >= 2 ? p : undefined;
      },
      120_000,
      50,
    );
    // A person following the run from the CLI through the restart.
    const follower = spawnCli(['retrain', '--model', 'restart', '--attach', '--wait', '--json'], {
      TEMPORAL_ADDRESS: server.address,
      DATABASE_URL: database.url,
      NIGHTSHIFT_TASK_QUEUE: taskQueue,
      NIGHTSHIFT_HOME: path.join(dir, 'follower'),
    });
    await waitFor('the CLI to attach', async () => (/waiting for the decision/.test(follower.stderr()) ? true : undefined), 60_000);

    await connection.close();
    await server.stop();
    server = await startDevServer({
      searchAttributes: SEARCH_ATTRIBUTES,
      cli: inject('temporalCli'),
      home,
      ...ports,
      namespace: 'default',
    });
    connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    client = new Client({ connection });

    const result = (await client.workflow.getHandle(workflowId).result()) as RunResult;
    expect(result.outcome).toBe('PROMOTED');
    expect(worker.child.exitCode).toBeNull();
    await registryIsConsistent(database.db);
    // The CLI kept following through the restart and printed the decision.
    const followed = await follower.done;
    expect(followed.code, followed.stderr).toBe(0);
    expect(JSON.parse(followed.stdout)).toMatchObject({ workflowId, outcome: 'PROMOTED' });
  });
});
