/**
 * Records the histories the replay test replays: one run of each main path (promoted, rejected,
 * skipped, data invalid, approval, a run refused by the model's run slot) on a real dev server and
 * PostgreSQL, saved as JSON fixtures. Histories of earlier workflow versions stay in subfolders
 * (before-run-slot/, before-notifications/) and keep replaying. Run by hand after a deliberate, versioned change of the
 * workflow:
 *   node bin/run-ts.js test/replay/record-histories.ts
 */
import type { retrainModel } from '../../workflows/index.ts';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tempDir } from '../support/dirs.ts';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { findTemporalCli } from '../../stack/temporal-cli.ts';
import { startEmbeddedPostgres } from '../../stack/embedded-postgres.ts';
import { freePort } from '../../stack/ports.ts';
import { createPool } from '../../registry/pool.ts';
import { migrate } from '../../registry/migrate.ts';
import { importExamples } from '../../registry/import-examples.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { approveUpdate, progressQuery, rejectUpdate, SEARCH_ATTRIBUTES, type RetrainInput } from '../../workflows/definitions.ts';
import { syntheticTexts } from '../support/synthetic.ts';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'histories');
const home = tempDir(path.join(os.tmpdir(), 'nightshift-record-'));
Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
const cli = await findTemporalCli();
const env = await TestWorkflowEnvironment.createLocal({
  server: { executable: { type: 'existing-path', path: cli }, searchAttributes: SEARCH_ATTRIBUTES },
});
const pg = await startEmbeddedPostgres(home, await freePort(), () => undefined);
const db = createPool(pg.databaseUrl);
await migrate(db);
const connection = await NativeConnection.connect({ address: env.address });
const worker = await createWorker({ connection, namespace: 'default', taskQueue: 'record', db });
const running = worker.run();
const client = env.client;

async function awaitApproval(workflowId: string): Promise<number> {
  const handle = client.workflow.getHandle(workflowId);
  for (;;) {
    const p = await handle.query(progressQuery);
    if (p.stage === 'awaiting-approval') return p.candidateVersion!;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function record(name: string, input: RetrainInput, during?: (workflowId: string) => Promise<void>): Promise<void> {
  const workflowId = `record-${name}`;
  const handle = await client.workflow.start<typeof retrainModel>('retrainModel', { taskQueue: 'record', workflowId, args: [input] });
  if (during) await during(workflowId);
  const result = (await handle.result()) as { outcome: string };
  // The CLI writes the canonical proto JSON that historyFromJSON reads back.
  const json = execFileSync(cli, ['workflow', 'show', '--workflow-id', workflowId, '--address', env.address, '--output', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  writeFileSync(path.join(out, `${name}.json`), JSON.stringify(JSON.parse(json), null, 1) + '\n');
  process.stderr.write(`${name}: ${result.outcome}\n`);
}

const labels = ['yes', 'no'];
const hp = { buckets: 1024, epochs: 3 };
await importExamples(db, 'replay', 'record', syntheticTexts(200, labels, 1));
await record('promoted', { model: 'replay', trigger: 'manual', hyperparameters: hp });
await importExamples(db, 'replay', 'record', syntheticTexts(100, labels, 2));
await record('rejected', {
  model: 'replay',
  trigger: 'manual',
  hyperparameters: hp,
  policy: { absolute: [{ metric: 'accuracy', min: 1.01 }], change: [] },
});
await record('skipped', { model: 'replay', trigger: 'manual' });
await importExamples(db, 'single', 'record', syntheticTexts(30, ['only'], 3));
await record('data-invalid', { model: 'single', trigger: 'manual' });
await importExamples(db, 'replay', 'record', syntheticTexts(100, labels, 4));
await record(
  'approved',
  {
    model: 'replay',
    trigger: 'manual',
    hyperparameters: hp,
    requireApproval: true,
    policy: { absolute: [{ metric: 'accuracy', min: 0 }], change: [] },
  },
  async (workflowId) => {
    const candidateVersion = await awaitApproval(workflowId);
    await client.workflow
      .getHandle(workflowId)
      .executeUpdate(approveUpdate, { args: [{ candidateVersion, approver: 'recorder', reason: 'fixture' }] });
  },
);
// A run started while another holds the model's run slot (the holder waits for approval meanwhile).
await importExamples(db, 'replay', 'record', syntheticTexts(100, labels, 5));
const holder = await client.workflow.start<typeof retrainModel>('retrainModel', {
  taskQueue: 'record',
  workflowId: 'record-slot-holder',
  args: [
    {
      model: 'replay',
      trigger: 'manual',
      hyperparameters: hp,
      requireApproval: true,
      policy: { absolute: [{ metric: 'accuracy', min: 0 }], change: [] },
    },
  ],
});
await awaitApproval(holder.workflowId);
await record('run-in-progress', { model: 'replay', trigger: 'schedule' });
const candidateVersion = await awaitApproval(holder.workflowId);
await holder.executeUpdate(rejectUpdate, { args: [{ candidateVersion, approver: 'recorder', reason: 'fixture' }] });
await holder.result();

worker.shutdown();
await running;
await connection.close();
await db.end();
await pg.stop();
await env.teardown();
rmSync(home, { recursive: true, force: true });
process.exit(0);
