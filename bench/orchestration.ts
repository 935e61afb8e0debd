import { SEARCH_ATTRIBUTES } from '../workflows/definitions.ts';
/**
 * Orchestration overhead: the same retraining run through Temporal (warm stack: dev server,
 * PostgreSQL and worker already up) and as direct calls of the same pipeline functions, side by
 * side. Overhead = run wall time - the activities' own execution time (from the history's
 * started/completed events). Also the cold `nightshift up --once` on a fresh home, as a user runs it.
 */
import type { retrainModel } from '../workflows/index.ts';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tempDir } from '../test/support/dirs.ts';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { findTemporalCli } from '../stack/temporal-cli.ts';
import { startDevServer } from '../stack/temporal-server.ts';
import { startEmbeddedPostgres } from '../stack/embedded-postgres.ts';
import { freePort } from '../stack/ports.ts';
import { createPool } from '../registry/pool.ts';
import { migrate } from '../registry/migrate.ts';
import { releaseNextBatch } from '../data/spam-demo.ts';
import { createWorker } from '../worker/create-worker.ts';
import { fetchNewData } from '../activities/pipeline/fetch-new-data.ts';
import { evaluateModel } from '../activities/pipeline/evaluate-model.ts';
import { trainCandidate } from '../activities/pipeline/train-candidate.ts';
import { compareModels, promoteModel } from '../activities/pipeline/compare-and-promote.ts';
import { runCli } from '../test/support/cli.ts';
import type { RunResult } from '../workflows/definitions.ts';

export interface OrchestrationResult {
  coldUpSeconds: number;
  coldOutcome: string;
  runs: Array<{ wallMs: number; activityMs: number; overheadMs: number }>;
  directMs: number[];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchOrchestration(runs = 3): Promise<OrchestrationResult> {
  const cli = await findTemporalCli();
  const home = tempDir(path.join(os.tmpdir(), 'nightshift-bench-'));
  try {
    const cold = await runCli(['up', '--once', '--json'], {
      NIGHTSHIFT_HOME: path.join(home, 'cold'),
      TEMPORAL_CLI_PATH: cli,
      NIGHTSHIFT_TEMPORAL_PORT: String(await freePort()),
      NIGHTSHIFT_UI_PORT: String(await freePort()),
      NIGHTSHIFT_PG_PORT: String(await freePort()),
    });
    const coldOutcome = cold.code === 0 ? (JSON.parse(cold.stdout) as RunResult).outcome : `failed: ${cold.stderr.slice(-300)}`;

    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
    const warmHome = path.join(home, 'warm');
    const [server, pg] = await Promise.all([
      (async () =>
        startDevServer({
          searchAttributes: SEARCH_ATTRIBUTES,
          cli,
          home: warmHome,
          port: await freePort(),
          uiPort: await freePort(),
          namespace: 'default',
        }))(),
      (async () => startEmbeddedPostgres(warmHome, await freePort(), () => undefined))(),
    ]);
    const db = createPool(pg.databaseUrl, { max: 10 });
    await migrate(db);
    await releaseNextBatch(db);
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue: 'bench',
      db,
      bundleCacheDir: warmHome,
    });
    const running = worker.run();
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });

    const result: OrchestrationResult = { coldUpSeconds: cold.seconds, coldOutcome, runs: [], directMs: [] };
    for (let i = 0; i <= runs; i++) {
      const workflowId = `bench-${i}-${Date.now()}`;
      const started = performance.now();
      await client.workflow.execute<typeof retrainModel>('retrainModel', {
        taskQueue: 'bench',
        workflowId,
        args: [{ model: 'spam', trigger: 'manual', force: true }],
      });
      const wallMs = performance.now() - started;
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const startedAt = new Map<number, number>();
      let activityMs = 0;
      for (const e of history.events ?? []) {
        const t = Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
        if (e.activityTaskStartedEventAttributes) startedAt.set(Number(e.activityTaskStartedEventAttributes.scheduledEventId), t);
        const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
        if (done) activityMs += t - (startedAt.get(Number(done.scheduledEventId)) ?? t);
      }
      if (i > 0) result.runs.push({ wallMs, activityMs, overheadMs: wallMs - activityMs }); // run 0 warms up
    }

    for (let i = 0; i < runs; i++) {
      const run = { workflowId: `direct-${i}-${Date.now()}`, runId: 'direct' };
      const started = performance.now();
      const snapshot = await fetchNewData(db, run, { model: 'spam', windowEnd: new Date().toISOString(), force: true });
      if (snapshot.championVersionId !== null)
        await evaluateModel(db, { versionId: snapshot.championVersionId, snapshotId: snapshot.snapshotId });
      const training = await trainCandidate(
        db,
        { run, attempt: 1, previousHeartbeat: undefined, heartbeat: () => undefined, signal: new AbortController().signal },
        { snapshotId: snapshot.snapshotId },
      );
      await evaluateModel(db, { versionId: training.versionId, snapshotId: snapshot.snapshotId });
      const decision = await compareModels(db, run, {
        snapshotId: snapshot.snapshotId,
        championVersionId: snapshot.championVersionId,
        candidateVersionId: training.versionId,
      });
      if (decision.decision === 'PROMOTE') {
        await promoteModel(db, run, {
          modelId: snapshot.modelId,
          candidateVersionId: training.versionId,
          championVersionId: snapshot.championVersionId,
          reason: decision.reason,
          decision,
          actor: 'bench',
        });
      }
      result.directMs.push(performance.now() - started);
    }

    worker.shutdown();
    await running;
    await nativeConnection.close();
    await connection.close();
    await db.end();
    await server.stop();
    await pg.stop();
    return result;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export function printOrchestrationReport(r: OrchestrationResult): string {
  const wall = median(r.runs.map((x) => x.wallMs));
  const overhead = median(r.runs.map((x) => x.overheadMs));
  const direct = median(r.directMs);
  return [
    'Orchestration (SpamAssassin demo model, forced retraining, warm stack):',
    `  cold \`nightshift up --once\` on a fresh home: ${r.coldUpSeconds.toFixed(1)} s, outcome ${r.coldOutcome} (goal < 20 s)`,
    ...r.runs.map(
      (x, i) =>
        `  run ${i + 1}: wall ${x.wallMs.toFixed(0)} ms, activities ${x.activityMs.toFixed(0)} ms, overhead ${x.overheadMs.toFixed(0)} ms`,
    ),
    `  median overhead per run: ${overhead.toFixed(0)} ms (goal < 300 ms)`,
    `  same pipeline as direct calls, no Temporal (median of ${r.directMs.length}): ${direct.toFixed(0)} ms`,
    `  ratio Temporal run / direct calls: ${(wall / direct).toFixed(2)}`,
  ].join('\n');
}
