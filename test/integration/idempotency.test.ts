/**
 * Retried activities stay idempotent: each activity below does its real work and commits, then
 * its first attempt "loses the worker" (throws a plain, retryable error before reporting back).
 * Temporal retries it; the registry must still hold one version and one promotion for the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { startTestStack, type TestStack } from '../support/services.ts';
import { importRows, runRetrain } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';

let stack: TestStack;
const injected: string[] = [];

function failFirstAttemptAfterCommit<A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => {
    const result = await fn(...args);
    if (Context.current().info.attempt === 1) {
      injected.push(name);
      throw new Error(`injected: worker lost after ${name} committed`);
    }
    return result;
  };
}

beforeAll(async () => {
  stack = await startTestStack({
    wrapActivities: (a) => ({
      ...a,
      fetchNewData: failFirstAttemptAfterCommit('fetchNewData', a.fetchNewData),
      trainCandidate: failFirstAttemptAfterCommit('trainCandidate', a.trainCandidate),
      evaluateModel: failFirstAttemptAfterCommit('evaluateModel', a.evaluateModel),
      compareModels: failFirstAttemptAfterCommit('compareModels', a.compareModels),
      promoteModel: failFirstAttemptAfterCommit('promoteModel', a.promoteModel),
    }),
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('retried activities', () => {
  it('create one snapshot, one version, one evaluation each, one decision and one promotion per run', async () => {
    await importRows(stack.database.db, 'retry', syntheticTexts(300, ['x', 'y'], 8));
    const { workflowId, result } = await runRetrain(stack.client, stack.taskQueue, { model: 'retry', hyperparameters: { buckets: 2048 } });
    expect(result.outcome).toBe('PROMOTED');
    expect(injected.sort()).toEqual(['compareModels', 'evaluateModel', 'fetchNewData', 'promoteModel', 'trainCandidate']);

    const count = async (table: string): Promise<number> => {
      const { rows } = await stack.database.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE workflow_id = $1`, [
        workflowId,
      ]);
      return Number(rows[0].n);
    };
    expect(await count('dataset_snapshots')).toBe(1);
    expect(await count('model_versions')).toBe(1);
    expect(await count('decisions')).toBe(1);
    expect(await count('promotion_events')).toBe(1);
    const evals = await stack.database.db.query<{ n: string }>('SELECT count(*) AS n FROM evaluations');
    expect(Number(evals.rows[0].n)).toBe(1);
    const production = await stack.database.db.query<{ n: string }>(`SELECT count(*) AS n FROM model_versions WHERE status = 'production'`);
    expect(Number(production.rows[0].n)).toBe(1);
    expect(result.promotion).toMatchObject({ status: 'promoted', toVersion: 1, alreadyDone: true });

    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const attempts = (history.events ?? [])
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(attempts.filter((a) => a === 2)).toHaveLength(5);
  });
});
