/**
 * Faults 1, 2, 6, 7 of docs/reliability.md: workers are separate processes (`node bin/worker.js`)
 * that get killed in the middle of a run.
 */

import type { retrainModel } from '../../workflows/index.ts';
import path from 'node:path';
import { tempDir } from '../support/dirs.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { startTestStack, type TestStack } from '../support/services.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';
import { importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { exitWithin, waitFor } from '../support/wait.ts';
import { runProgress } from '../../runs/client.ts';
import { releaseNextBatch } from '../../data/spam-demo.ts';
import { trainOnSource } from '../../ml/train.ts';
import { resolveTrainOptions } from '../../ml/train-options.ts';
import { streamedTrainingSet, streamLimitsForBuffer } from '../../activities/pipeline/streamed-source.ts';
import { encodeModel } from '../../ml/model-file.ts';
import { getSnapshot } from '../../registry/datasets.ts';
import { splitHyperparameters, type Hyperparameters } from '../../ml/hyperparameters.ts';
import type { RetrainInput, RunResult } from '../../workflows/definitions.ts';

let stack: TestStack;
const home = tempDir(path.join(inject('stateDir'), 'faults-'));
const workers: WorkerProcess[] = [];
const labels = ['ok', 'bad'];

/** Training rows a worker holds: the 2,400-row training split streams in 24 pages of 100, 8 at a time. */
const BUFFER_ROWS = 800;

async function worker(fault?: string, shutdownGrace?: string): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    temporalAddress: inject('temporalAddress'),
    databaseUrl: stack.database.url,
    taskQueue: stack.taskQueue,
    home,
    fault,
    shutdownGrace,
    env: { NIGHTSHIFT_TRAIN_BUFFER_ROWS: String(BUFFER_ROWS) },
  });
  workers.push(w);
  return w;
}

beforeAll(async () => {
  stack = await startTestStack({ inProcessWorker: false });
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await stack?.stop();
});

const count = async (sql: string, params: unknown[]): Promise<number> =>
  Number((await stack.database.db.query<{ n: string }>(sql, params)).rows[0].n);
// Batch size 1 over the 3,000-message SpamAssassin batch, 30 epochs: several seconds of training,
// long enough to see epoch 2 and kill the worker well before the end.
const slowTraining: Hyperparameters = { epochs: 30, earlyStopping: false, batchSize: 1, seed: 7 };

function start(model: string, extra: Partial<RetrainInput> = {}, workflowId = `fault-${model}-${Date.now()}`) {
  return stack.client.workflow.start<typeof retrainModel>('retrainModel', {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [
      {
        model,
        trigger: 'test',
        hyperparameters: slowTraining,
        trainingHeartbeatTimeout: '3 seconds',
        stepTimeout: '5 seconds',
        ...extra,
      } satisfies RetrainInput,
    ],
  });
}

/** Waits until the run's progress reports training past epoch 2 (checkpoints exist to resume from). */
async function trainingPastEpoch2(workflowId: string): Promise<void> {
  await waitFor(
    'training past epoch 2',
    async () => {
      const p = await runProgress(stack.client, workflowId);
      return p.stage === 'training' && (p.epoch ?? 0) >= 2 ? p : undefined;
    },
    120_000,
    50,
  );
}

/** The weights of the same streamed training run uninterrupted, in this process. */
async function uninterruptedSha(snapshotId: number, h: Hyperparameters): Promise<string> {
  const snapshot = await getSnapshot(stack.database.db, snapshotId);
  const { featurizer, train } = splitHyperparameters(h);
  const set = await streamedTrainingSet(stack.database.db, {
    modelId: snapshot.modelId,
    toId: snapshot.toExampleId,
    featurizer,
    train: resolveTrainOptions(train),
    limits: streamLimitsForBuffer(BUFFER_ROWS),
  });
  expect(set.stats.pages).toBeGreaterThan(8);
  const { model } = await trainOnSource({ source: set.source, labels: set.labels, featurizer: set.featurizer, options: train });
  return encodeModel(model).sha256;
}

describe('a worker killed with SIGKILL in the middle of training', () => {
  it('is replaced by a new worker that resumes a streamed training from the last checkpoint and ends with the weights of an uninterrupted run', async () => {
    await releaseNextBatch(stack.database.db, 'sigkill');
    const first = await worker();
    const handle = await start('sigkill');
    await trainingPastEpoch2(handle.workflowId);
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await worker();
    const result = (await handle.result()) as RunResult;
    expect(result.outcome).toBe('PROMOTED');
    const attempts = result.training!.attempts;
    expect(attempts.length).toBe(2);
    expect(attempts[0]).toEqual({ attempt: 1, resumedFromEpoch: 0 });
    expect(attempts[1].attempt).toBe(2);
    expect(attempts[1].resumedFromEpoch).toBeGreaterThanOrEqual(2);
    expect(result.decision).not.toBeNull();
    expect(await count('SELECT count(*) AS n FROM model_versions WHERE workflow_id = $1', [handle.workflowId])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM model_versions WHERE status = 'production'`, [])).toBe(1);
    expect(result.training!.sha256).toBe(await uninterruptedSha(result.snapshot!.snapshotId, slowTraining));
  });
});

describe('SIGTERM to a worker during training', () => {
  it('stops it within its shutdown time; the training checkpoints and another worker finishes the run', async () => {
    await releaseNextBatch(stack.database.db, 'sigterm');
    for (const w of workers) w.kill('SIGKILL');
    const first = await worker(undefined, '500ms');
    const handle = await start('sigterm');
    await trainingPastEpoch2(handle.workflowId);
    const t0 = Date.now();
    first.kill('SIGTERM');
    // Its shutdown grace is 500 ms: a worker still running after 30 s is stuck, not slow.
    const exit = await exitWithin(first.exited, 30_000, 'the worker after SIGTERM', first.output);
    console.log(`worker stopped ${Date.now() - t0} ms after SIGTERM`);
    expect(exit, first.output()).toEqual({ code: 0, signal: null });
    expect(first.output()).toMatch(/stopped/);
    await worker();
    const result = (await handle.result()) as RunResult;
    expect(result.outcome).toBe('PROMOTED');
    expect(result.training!.attempts.length).toBe(2);
    expect(result.training!.attempts[1].resumedFromEpoch).toBeGreaterThanOrEqual(2);
    expect(result.training!.sha256).toBe(await uninterruptedSha(result.snapshot!.snapshotId, slowTraining));
  });
});

describe('a worker that dies right after the promotion commits', () => {
  it('leaves one production version and one history row: the retried promotion is a no-op', async () => {
    for (const w of workers) w.kill('SIGKILL');
    await importRows(stack.database.db, 'aftercommit', syntheticTexts(300, labels, 3));
    const faulty = await worker('kill-after:promoteModel');
    const handle = await start('aftercommit', { hyperparameters: { buckets: 2048 } });
    await faulty.exited;
    expect(faulty.output()).toMatch(/killing worker after promoteModel committed/);
    await worker();
    const result = (await handle.result()) as RunResult;
    expect(result.outcome).toBe('PROMOTED');
    expect(result.promotion).toMatchObject({ status: 'promoted', alreadyDone: true, toVersion: 1 });
    const model = `(SELECT id FROM models WHERE name = 'aftercommit')`;
    expect(await count(`SELECT count(*) AS n FROM promotion_events WHERE model_id = ${model}`, [])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM model_versions WHERE model_id = ${model} AND status = 'production'`, [])).toBe(1);
  });
});

describe('a run started twice with the same id', () => {
  it('runs once', async () => {
    await importRows(stack.database.db, 'twice', syntheticTexts(300, labels, 4));
    const id = `fault-twice-${Date.now()}`;
    const handle = await start('twice', { hyperparameters: { buckets: 2048 } }, id);
    await expect(start('twice', { hyperparameters: { buckets: 2048 } }, id)).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(((await handle.result()) as RunResult).outcome).toBe('PROMOTED');
    expect(await count('SELECT count(*) AS n FROM dataset_snapshots WHERE workflow_id = $1', [id])).toBe(1);
  });
});
