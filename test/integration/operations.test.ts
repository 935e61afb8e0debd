/**
 * Living with Nightshift on the real dev server: schedules, approval, manual promote and rollback,
 * one run per model, and runs findable by their search attributes.
 */
import type { setProduction } from '../../workflows/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { startTestStack, type TestStack } from '../support/services.ts';
import { awaitApproval, importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { waitFor } from '../support/wait.ts';
import { describeSchedule, scheduleId, triggerSchedule, upsertSchedule } from '../../client/schedules.ts';
import { listRuns, RunAlreadyRunningError, startRetrain } from '../../runs/client.ts';
import { approveUpdate, progressQuery, rejectUpdate, type RetrainInput, type RunResult } from '../../workflows/definitions.ts';
import type { SetProductionResult } from '../../activities/pipeline/types.ts';
import { getModel } from '../../registry/models.ts';
import { listVersions } from '../../registry/versions.ts';
import { listPromotionEvents } from '../../registry/promotions.ts';

let stack: TestStack;
const labels = ['red', 'green'];

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const db = () => stack.database.db;
async function production(model: string): Promise<number[]> {
  const m = await getModel(db(), model);
  return (await listVersions(db(), m.id)).filter((v) => v.status === 'production').map((v) => v.version);
}
const hp = { buckets: 2048 };

async function startRun(input: Omit<RetrainInput, 'trigger'>) {
  return startRetrain(stack.client, stack.taskQueue, { trigger: 'manual', hyperparameters: hp, ...input });
}

describe('schedules', () => {
  it('create is idempotent: a second create updates the same schedule', async () => {
    await importRows(db(), 'sched', syntheticTexts(200, labels, 1));
    expect(await upsertSchedule(stack.client, { model: 'sched', taskQueue: stack.taskQueue })).toBe('created');
    expect(await upsertSchedule(stack.client, { model: 'sched', taskQueue: stack.taskQueue, at: '03:30', timezone: 'Europe/Paris' })).toBe(
      'updated',
    );
    const d = await describeSchedule(stack.client, 'sched');
    expect(d.spec.timezone).toBe('Europe/Paris');
    expect(d.spec.calendars?.[0].hour).toEqual([{ start: 3, end: 3, step: 1 }]);
    expect(d.spec.calendars?.[0].comment).toMatch(/nightly retraining of sched at 03:30 Europe\/Paris/);
    expect(d.policies.overlap).toBe('SKIP');
    const all = [];
    for await (const s of stack.client.schedule.list()) if (s.scheduleId === scheduleId('sched')) all.push(s);
    expect(all).toHaveLength(1);
  });

  it("a fleet's nightly schedules, created alike, carry the default jitter and do not all fire in the same second", async () => {
    const models = Array.from({ length: 10 }, (_, i) => `jitter-${i}`);
    for (const model of models) await upsertSchedule(stack.client, { model, taskQueue: stack.taskQueue });
    const firstRuns: number[] = [];
    try {
      for (const model of models) {
        const d = await describeSchedule(stack.client, model);
        expect(d.spec.jitter, model).toBe(5 * 60_000);
        const next = d.info.nextActionTimes[0];
        // Each 02:00 UTC, plus this schedule's own delay of up to 5 minutes.
        const nominal = Date.UTC(next.getUTCFullYear(), next.getUTCMonth(), next.getUTCDate(), 2, 0);
        expect(next.getTime() - nominal, `${model}: ${next.toISOString()}`).toBeGreaterThanOrEqual(0);
        expect(next.getTime() - nominal, `${model}: ${next.toISOString()}`).toBeLessThan(5 * 60_000);
        firstRuns.push(next.getTime());
      }
      // Spread: the ten first runs fall on (at least nine) different seconds, not all at 02:00:00.
      const seconds = new Set(firstRuns.map((t) => Math.floor(t / 1000)));
      expect(seconds.size, firstRuns.map((t) => new Date(t).toISOString()).join(', ')).toBeGreaterThanOrEqual(9);
      // --jitter 0 turns it off: on the dot.
      await upsertSchedule(stack.client, { model: models[0], taskQueue: stack.taskQueue, jitter: '0' });
      const exact = await describeSchedule(stack.client, models[0]);
      expect(exact.spec.jitter ?? 0).toBe(0);
      expect(exact.info.nextActionTimes[0].toISOString()).toMatch(/T02:00:00\.000Z$/);
    } finally {
      for (const model of models) await stack.client.schedule.getHandle(scheduleId(model)).delete();
    }
  });

  it('trigger starts a scheduled run that completes; pause keeps its note', async () => {
    const handle = stack.client.schedule.getHandle(scheduleId('sched'));
    await triggerSchedule(stack.client, 'sched');
    const action = await waitFor('a scheduled run', async () => (await handle.describe()).info.recentActions[0]);
    const result = (await stack.client.workflow.getHandle(action.action.workflow.workflowId).result()) as RunResult;
    expect(result.trigger).toBe('schedule');
    expect(
      result.outcome,
      result.reason + ' / scheduled ' + action.scheduledAt.toISOString() + ' taken ' + action.takenAt.toISOString(),
    ).toBe('PROMOTED');
    expect(action.action.workflow.workflowId).toMatch(/^retrain-sched-scheduled-/);
    await handle.pause('data pipeline upstream is down');
    const d = await handle.describe();
    expect(d.state.paused).toBe(true);
    expect(d.state.note).toBe('data pipeline upstream is down');
  });

  it('SKIP overlap refuses a second concurrent scheduled run', async () => {
    await importRows(db(), 'overlap', syntheticTexts(200, labels, 2));
    await upsertSchedule(stack.client, { model: 'overlap', taskQueue: stack.taskQueue, requireApproval: true });
    const handle = stack.client.schedule.getHandle(scheduleId('overlap'));
    await triggerSchedule(stack.client, 'overlap');
    const first = await waitFor('the first run, waiting for approval', async () => {
      const recent = (await handle.describe()).info.recentActions[0];
      if (!recent) return undefined;
      const run = stack.client.workflow.getHandle(recent.action.workflow.workflowId);
      return (await run.query(progressQuery)).stage === 'awaiting-approval' ? recent.action : undefined;
    });
    await triggerSchedule(stack.client, 'overlap');
    const d = await waitFor('a skipped action', async () => {
      const desc = await handle.describe();
      return desc.info.numActionsSkippedOverlap >= 1 ? desc : undefined;
    });
    expect(d.info.recentActions.map((a) => a.action.workflow.workflowId)).toEqual([first.workflow.workflowId]);
    expect(d.info.numActionsTaken).toBe(1);
    await stack.client.workflow.getHandle(first.workflow.workflowId).terminate('test done');
  });

  it('backfill gives each run its own data window ending at its scheduled time', async () => {
    const model = 'backfill';
    const days = ['2026-03-01', '2026-03-02', '2026-03-03'];
    const counts: number[] = [];
    for (const [i, day] of days.entries()) {
      const r = await importRows(db(), model, syntheticTexts(120 + 40 * i, labels, 10 + i));
      counts.push(r.accepted);
      await db().query(
        `UPDATE examples SET arrived_at = $1 WHERE arrived_at > now() - interval '1 minute' AND model_id = (SELECT id FROM models WHERE name = $2)`,
        [`${day}T06:00:00Z`, model],
      );
    }
    await upsertSchedule(stack.client, { model, taskQueue: stack.taskQueue, at: '12:00' });
    const handle = stack.client.schedule.getHandle(scheduleId(model));
    await handle.pause('backfill only');
    await handle.backfill({
      start: new Date('2026-03-01T00:00:00Z'),
      end: new Date('2026-03-03T23:59:59Z'),
      overlap: 'BUFFER_ALL' as never,
    });
    const snapshots = await waitFor(
      'three decided windows',
      async () => {
        const { rows } = await db().query<{ window_end: Date; new_rows: number }>(
          `SELECT s.window_end, s.new_rows FROM dataset_snapshots s JOIN decisions d ON d.dataset_snapshot_id = s.id
         JOIN models m ON m.id = s.model_id WHERE m.name = $1 ORDER BY s.window_end`,
          [model],
        );
        return rows.length === 3 ? rows : undefined;
      },
      90_000,
    );
    expect(snapshots.map((s) => s.window_end.toISOString())).toEqual(days.map((d) => `${d}T12:00:00.999Z`));
    expect(snapshots.map((s) => s.new_rows)).toEqual(counts);
  });
});

describe('manual runs and approval', () => {
  it('refuses a second run for a model that has one running, naming it', async () => {
    await importRows(db(), 'approve', syntheticTexts(300, labels, 3));
    const handle = await startRun({ model: 'approve', requireApproval: true });
    const candidate = await awaitApproval(handle);
    const err = await startRun({ model: 'approve' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunAlreadyRunningError);
    expect((err as Error).message).toContain(handle.workflowId);

    // A stale candidate is refused by the validator, and the run keeps waiting.
    const stale = await handle
      .executeUpdate(approveUpdate, { args: [{ candidateVersion: candidate + 1, approver: 'alice', reason: 'ok' }] })
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((stale as WorkflowUpdateFailedError).cause?.message).toMatch(
      `candidate v${candidate + 1} is not the one waiting for approval (v${candidate})`,
    );
    expect((await handle.query(progressQuery)).stage).toBe('awaiting-approval');

    const record = await handle.executeUpdate(approveUpdate, {
      args: [{ candidateVersion: candidate, approver: 'alice', reason: 'canary is clean' }],
    });
    expect(record).toEqual({ approved: true, approver: 'alice', reason: 'canary is clean', by: 'person' });
    const result = (await handle.result()) as RunResult;
    expect(result.outcome).toBe('PROMOTED');
    expect(result.approval?.approver).toBe('alice');
    const m = await getModel(db(), 'approve');
    const events = await listPromotionEvents(db(), m.id);
    expect(events.at(-1)).toMatchObject({ actor: 'person:alice', reason: expect.stringMatching(/approved by alice: canary is clean/) });

    const late = await handle
      .executeUpdate(approveUpdate, { args: [{ candidateVersion: candidate, approver: 'bob', reason: 'late' }] })
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(Error);
  });

  it('a rejected candidate is not promoted and production stays', async () => {
    await importRows(db(), 'approve', syntheticTexts(100, labels, 4));
    const before = await production('approve');
    const handle = await startRun({
      model: 'approve',
      requireApproval: true,
      policy: { absolute: [{ metric: 'accuracy', min: 0 }], change: [], minEvaluationRows: 10 }, // 100 new rows hold 20 out
    });
    const candidate = await awaitApproval(handle);
    await handle.executeUpdate(rejectUpdate, { args: [{ candidateVersion: candidate, approver: 'carol', reason: 'wrong week' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.outcome).toBe('NOT_APPROVED');
    expect(await production('approve')).toEqual(before);
    const m = await getModel(db(), 'approve');
    expect((await listVersions(db(), m.id)).find((v) => v.version === candidate)?.status).toBe('rejected');
  });

  it('an unanswered approval times out to the configured default', async () => {
    await importRows(db(), 'timeout', syntheticTexts(200, labels, 5));
    const handle = await startRun({ model: 'timeout', requireApproval: true, approval: { timeout: '2 seconds', onTimeout: 'reject' } });
    const result = (await handle.result()) as RunResult;
    expect(result.outcome).toBe('NOT_APPROVED');
    expect(result.approval).toMatchObject({ approved: false, by: 'timeout' });
    expect(await production('timeout')).toEqual([]);
  });
});

describe('promote and rollback', () => {
  it('each leaves exactly one production version and a history row', async () => {
    await importRows(db(), 'roll', syntheticTexts(200, labels, 6));
    const policy = { absolute: [{ metric: 'accuracy', min: 0 }], change: [], minEvaluationRows: 10 }; // 100 new rows hold 20 out
    for (const seed of [7, 8]) {
      if (seed === 8) await importRows(db(), 'roll', syntheticTexts(100, labels, seed));
      const r = (await (await startRun({ model: 'roll', policy })).result()) as RunResult;
      expect(r.outcome).toBe('PROMOTED');
    }
    expect(await production('roll')).toEqual([2]);
    const run = (kind: 'override' | 'rollback', version?: number) =>
      stack.client.workflow.execute<typeof setProduction>('setProduction', {
        taskQueue: stack.taskQueue,
        workflowId: `${kind}-roll-${Date.now()}`,
        args: [{ model: 'roll', kind, ...(version ? { version } : {}), reason: `test ${kind}`, actor: 'person:dave' }],
      }) as Promise<SetProductionResult>;
    expect(await run('rollback')).toMatchObject({ fromVersion: 2, toVersion: 1 });
    expect(await production('roll')).toEqual([1]);
    expect(await run('override', 2)).toMatchObject({ fromVersion: 1, toVersion: 2 });
    expect(await production('roll')).toEqual([2]);
    const m = await getModel(db(), 'roll');
    const events = await listPromotionEvents(db(), m.id);
    expect(events.map((e) => [e.kind, e.fromVersion, e.toVersion])).toEqual([
      ['promote', null, 1],
      ['promote', 1, 2],
      ['rollback', 2, 1],
      ['override', 1, 2],
    ]);
    const missing = await run('override', 9).catch((e: unknown) => e);
    expect(String((missing as { cause?: { cause?: Error } }).cause?.cause?.message)).toMatch(/model has no version 9/);
    expect(await production('roll')).toEqual([2]);
  });
});

describe('search attributes', () => {
  it('find runs with a list filter by model and outcome', async () => {
    const found = await waitFor('runs by ModelName and Outcome', async () => {
      const runs = [];
      for await (const w of stack.client.workflow.list({ query: `ModelName = "approve" AND Outcome = "NOT_APPROVED"` })) runs.push(w);
      return runs.length === 1 ? runs : undefined;
    });
    expect(found[0].searchAttributes?.CandidateVersion).toBeDefined();
    const all = await listRuns(stack.client, 'approve');
    expect(all.length).toBe(2);
  });
});
