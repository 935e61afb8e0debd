/**
 * Nothing piles up: a 2,000-epoch run rewrites its checkpoint 2,000 times; the checkpoint table
 * must end with no rows and stay small on disk, and the database must not grow by more than the
 * run's real output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { retrainModel } from '../../workflows/index.ts';
import { startTestStack, type TestStack } from '../support/services.ts';
import { importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function sizes(): Promise<{ checkpoints: number; database: number; rows: number }> {
  const { rows } = await stack.database.db.query<{ checkpoints: string; database: string; rows: string }>(
    `SELECT pg_total_relation_size('training_checkpoints') AS checkpoints, pg_database_size(current_database()) AS database,
       (SELECT count(*) FROM training_checkpoints) AS rows`,
  );
  return { checkpoints: Number(rows[0].checkpoints), database: Number(rows[0].database), rows: Number(rows[0].rows) };
}

describe('a 2,000-epoch run', () => {
  it('leaves no checkpoint rows and a small checkpoint table', async () => {
    await importRows(stack.database.db, 'long', syntheticTexts(200, ['on', 'off'], 1));
    const before = await sizes();
    const handle = await stack.client.workflow.start<typeof retrainModel>('retrainModel', {
      taskQueue: stack.taskQueue,
      workflowId: `long-${Date.now()}`,
      args: [{ model: 'long', trigger: 'test', hyperparameters: { epochs: 2000, earlyStopping: false, buckets: 4096, batchSize: 64 } }],
    });
    const result = await handle.result();
    expect(result.training!.epochs).toBe(2000);
    const after = await sizes();
    // One checkpoint is about 4096 x 2 x 3 floats deflated; 2,000 rewrites without vacuum left hundreds of MB.
    expect(after.rows).toBe(0);
    expect(after.checkpoints).toBeLessThan(2 * 1024 * 1024);
    expect(after.database - before.database).toBeLessThan(16 * 1024 * 1024);
    process.stdout.write(
      `checkpoint table after 2,000 epochs: ${(after.checkpoints / 1024).toFixed(0)} KiB; database grew ${((after.database - before.database) / 1024 / 1024).toFixed(1)} MiB\n`,
    );
  });
});
