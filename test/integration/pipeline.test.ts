/**
 * The retraining pipeline end to end on the real Temporal dev server and a real PostgreSQL.
 * The tests in this file run in order and share one model's history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startTestStack, type TestStack } from '../support/services.ts';
import { collectPayloadSizes, importRows, runRetrain } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { getModel } from '../../registry/models.ts';
import { listVersions } from '../../registry/versions.ts';
import { listPromotionEvents, productionVersionId } from '../../registry/promotions.ts';

let stack: TestStack;
const labels = ['billing', 'outage', 'praise'];

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function productionVersions(model: string): Promise<number[]> {
  const m = await getModel(stack.database.db, model);
  return (await listVersions(stack.database.db, m.id)).filter((v) => v.status === 'production').map((v) => v.version);
}

describe.sequential('retrainModel', () => {
  let firstWorkflowId = '';

  it('promotes the first model when it meets the absolute thresholds, and says so', async () => {
    const imported = await importRows(stack.database.db, 'tickets', syntheticTexts(400, labels, 1));
    expect(imported.accepted).toBeGreaterThan(390);
    const { workflowId, result } = await runRetrain(stack.client, stack.taskQueue, {
      model: 'tickets',
      hyperparameters: { buckets: 4096 },
    });
    firstWorkflowId = workflowId;
    expect(result.outcome).toBe('PROMOTED');
    expect(result.championVersion).toBeNull();
    expect(result.candidateVersion).toBe(1);
    expect(result.decision?.firstRun).toBe(true);
    expect(result.reason).toMatch(/first run: no champion/);
    expect(result.candidate?.metrics.accuracy).toBeGreaterThan(0.9);
    expect(result.snapshot!.newRows).toBe(imported.accepted);

    const model = await getModel(stack.database.db, 'tickets');
    const versions = await listVersions(stack.database.db, model.id);
    expect(versions.map((v) => [v.version, v.status])).toEqual([[1, 'production']]);
    expect(await productionVersionId(stack.database.db, model.id)).toBe(versions[0].id);
    const events = await listPromotionEvents(stack.database.db, model.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ fromVersion: null, toVersion: 1, kind: 'promote', workflowId });
  });

  it('keeps every payload of a full run under 64 KiB: no weights or data travel through Temporal', async () => {
    const history = await stack.client.workflow.getHandle(firstWorkflowId).fetchHistory();
    const sizes = collectPayloadSizes(history);
    expect(sizes.length).toBeGreaterThan(10);
    const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    expect(largest.bytes, `largest payload at ${largest.where}`).toBeLessThan(64 * 1024);
  });

  it('decides a second run with new data against the champion', async () => {
    const imported = await importRows(stack.database.db, 'tickets', syntheticTexts(200, labels, 2));
    const { result } = await runRetrain(stack.client, stack.taskQueue, { model: 'tickets', hyperparameters: { buckets: 4096 } });
    expect(['PROMOTED', 'REJECTED']).toContain(result.outcome);
    expect(result.snapshot!.newRows).toBe(imported.accepted);
    expect(result.championVersion).toBe(1);
    expect(result.candidateVersion).toBe(2);
    expect(result.champion?.metrics.accuracy).toBeGreaterThan(0.8);
    expect(result.candidate?.metrics.accuracy).toBeGreaterThan(0.8);
    expect(result.decision?.firstRun).toBe(false);
    const changeChecks = result.decision!.checks.filter((c) => c.kind === 'improvement');
    expect(changeChecks.length).toBeGreaterThan(0);
    for (const c of changeChecks) {
      expect(c.skipped).toBeUndefined();
      expect(c.baseline).toBe(result.champion!.metrics[c.metric as 'f1']);
    }
    expect(await productionVersions('tickets')).toEqual([result.outcome === 'PROMOTED' ? 2 : 1]);
  });

  it('skips a run when no new data arrived', async () => {
    const before = await productionVersions('tickets');
    const { result } = await runRetrain(stack.client, stack.taskQueue, { model: 'tickets' });
    expect(result.outcome).toBe('SKIPPED_NO_NEW_DATA');
    expect(result.candidateVersion).toBeNull();
    const model = await getModel(stack.database.db, 'tickets');
    expect(await listVersions(stack.database.db, model.id)).toHaveLength(2);
    expect(await productionVersions('tickets')).toEqual(before);
  });

  it('ends DATA_INVALID with production unchanged when new data breaks the model contract', async () => {
    const before = await productionVersions('tickets');
    await stack.database.db.query('UPDATE models SET labels = $1 WHERE name = $2', [labels, 'tickets']);
    await importRows(stack.database.db, 'tickets', [
      ...syntheticTexts(40, labels, 3),
      { text: 'a label nobody declared', label: 'refund' },
    ]);
    const { result } = await runRetrain(stack.client, stack.taskQueue, { model: 'tickets' });
    expect(result.outcome).toBe('DATA_INVALID');
    expect(result.reason).toMatch(/labels not declared for model tickets: "refund"/);
    expect(await productionVersions('tickets')).toEqual(before);
    const model = await getModel(stack.database.db, 'tickets');
    expect(await listVersions(stack.database.db, model.id)).toHaveLength(2);
  });

  it('ends DATA_INVALID for a model whose data has a single label', async () => {
    await importRows(stack.database.db, 'onelabel', syntheticTexts(50, ['only'], 4));
    const { result } = await runRetrain(stack.client, stack.taskQueue, { model: 'onelabel' });
    expect(result.outcome).toBe('DATA_INVALID');
    expect(result.reason).toMatch(/1 distinct label/);
    const model = await getModel(stack.database.db, 'onelabel');
    expect(await listVersions(stack.database.db, model.id)).toHaveLength(0);
  });

  it('fails an unknown model at once, non-retryably, with a clear message', async () => {
    const err = await runRetrain(stack.client, stack.taskQueue, { model: 'no-such-model' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause?.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('UnknownModel');
    expect((cause as ApplicationFailure).message).toMatch(/unknown model "no-such-model"/);
  });
});
