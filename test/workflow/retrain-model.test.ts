/**
 * retrainModel's branches (and two of monitorModel's) against fake activities, on Temporal's time-skipping test server: an
 * approval that waits 24 hours times out in milliseconds. Each test gives the worker a plain object
 * of async fakes and asserts the run's outcome and the activities it called.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../activities/index.ts';
import type { CandidateSummary, EvaluationSummary, PromotionSummary, SnapshotSummary } from '../../activities/pipeline/types.ts';
import type { DecisionRecord } from '../../ml/compare.ts';
import { findTemporalTestServer } from '../../stack/temporal-test-server.ts';
import { workflowBundle } from '../../worker/create-worker.ts';
import { monitorModel, retrainModel } from '../../workflows/index.ts';
import type { ModelAssessment } from '../../activities/pipeline/monitor-model.ts';
import type { RetrainInput } from '../../workflows/definitions.ts';

const { INDEXED_VALUE_TYPE_KEYWORD: KEYWORD, INDEXED_VALUE_TYPE_INT: INT } = temporal.api.enums.v1.IndexedValueType;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'retrain-model-test';

beforeAll(async () => {
  // The failures these tests cause on purpose are asserted, not logged.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { forward: {}, filter: 'ERROR' } } });
  const path = await findTemporalTestServer();
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  // The search attributes the workflows set (the stack registers them on the dev server).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: { ModelName: KEYWORD, Outcome: KEYWORD, CandidateVersion: INT, ChampionVersion: INT },
  });
  // One worker for every test, so the notifications a run leaves behind (abandoned child
  // workflows) are always delivered and never hold up the test server's clock; its activities
  // answer with the current test's fakes.
  const names: (keyof Activities)[] = [
    'fetchNewData',
    'evaluateModel',
    'trainCandidate',
    'compareModels',
    'promoteModel',
    'markCandidateRejected',
    'abandonRun',
    'runSlotHolder',
    'deliverNotification',
    'assessModel',
    'recordMonitorEvent',
  ];
  const activities = Object.fromEntries(
    names.map((name) => [name, (...args: unknown[]) => (current.activities[name] as (...a: unknown[]) => Promise<unknown>)(...args)]),
  );
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const snapshot = (over: Partial<SnapshotSummary> = {}): SnapshotSummary => ({
  snapshotId: 7,
  modelId: 1,
  status: 'valid',
  newRows: 40,
  windowRows: 40,
  allRowsToDate: false,
  trainRows: 32,
  evalRows: 8,
  labelCounts: { spam: 20, ham: 20 },
  contentHash: 'abc',
  issues: [],
  drift: null,
  championVersionId: 11,
  championVersion: 1,
  ...over,
});

const metrics = (f1: number): EvaluationSummary['metrics'] => ({ examples: 8, accuracy: f1, precision: f1, recall: f1, f1 });

const candidate: CandidateSummary = {
  versionId: 12,
  version: 2,
  sha256: 'def',
  epochs: 3,
  stoppedEarly: true,
  finalTrainLoss: 0.1,
  finalValidationLoss: 0.2,
  attempts: [{ attempt: 1, resumedFromEpoch: 0 }],
  trainSeconds: 1,
  mode: 'full',
  warmStartFrom: null,
  trainRows: 32,
  replayRows: 0,
};

const promote: DecisionRecord = { decision: 'PROMOTE', reason: 'f1 up by 0.1', checks: [] } as unknown as DecisionRecord;

/** What assessModel answers: a live production v1, healthy unless `over` says otherwise. */
const assessment = (over: { trigger?: string; cooldownUntil?: string }): ModelAssessment =>
  ({
    model: 'spam',
    modelId: 1,
    policy: { retrain: true },
    policySource: 'the default policy',
    evidence: { version: 1 },
    assessment: { trigger: over.trigger ?? null, reason: over.trigger ? `accuracy decayed` : 'healthy', breaches: [] },
    cooldownUntil: over.cooldownUntil ?? null,
    windowStart: '2026-01-01T00:00:00.000Z',
  }) as unknown as ModelAssessment;

type Fakes = Partial<Activities>;

/** Fakes of every activity retrainModel calls, overridable per test; `calls` lists them in order. */
function fakes(over: Fakes = {}): { activities: Fakes; calls: string[] } {
  const calls: string[] = [];
  const base: Fakes = {
    fetchNewData: async () => snapshot(),
    evaluateModel: async ({ versionId }) => ({
      versionId,
      version: versionId === 11 ? 1 : 2,
      metrics: metrics(versionId === 11 ? 0.8 : 0.9),
    }),
    trainCandidate: async () => candidate,
    compareModels: async () => promote,
    promoteModel: async (): Promise<PromotionSummary> => ({ status: 'promoted', fromVersion: 1, toVersion: 2, alreadyDone: false }),
    markCandidateRejected: async () => undefined as never,
    abandonRun: async () => ({ abandonedVersion: 2 }) as never,
    runSlotHolder: async () => null,
    deliverNotification: async () => ({ delivered: [], failed: [] }) as never,
    assessModel: async () => assessment({}),
    recordMonitorEvent: async () => undefined as never,
  };
  const activities = Object.fromEntries(
    Object.entries({ ...base, ...over }).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        calls.push(name);
        return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  ) as Fakes;
  return { activities, calls };
}

let current: { activities: Fakes; calls: string[] } = fakes();
let run = 0;

/** Runs retrainModel with `input` and the fakes changed by `over`; `calls` leaves out notifications (delivered on their own). */
async function runRetrain(input: Partial<RetrainInput>, over: Fakes = {}) {
  current = fakes(over);
  const result = await env.client.workflow
    .execute(retrainModel, {
      taskQueue,
      workflowId: `retrain-test-${++run}`,
      args: [{ model: 'spam', trigger: 'test', ...input } as RetrainInput],
    })
    .then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
  return { result, calls: current.calls.filter((c) => c !== 'deliverNotification') };
}

describe('retrainModel', () => {
  it('promotes a candidate the comparison accepts', async () => {
    const { result, calls } = await runRetrain({});
    expect(result.ok && result.r.outcome).toBe('PROMOTED');
    expect(calls).toEqual(['fetchNewData', 'evaluateModel', 'trainCandidate', 'evaluateModel', 'compareModels', 'promoteModel']);
  });

  it('ends with SKIPPED_NO_NEW_DATA when there is no new data, training nothing', async () => {
    const { result, calls } = await runRetrain({}, { fetchNewData: async () => snapshot({ status: 'empty' }) });
    expect(result.ok && result.r.outcome).toBe('SKIPPED_NO_NEW_DATA');
    expect(calls).toEqual(['fetchNewData']);
  });

  it('applies the approval policy when nobody answers in time (24 hours, skipped)', async () => {
    const started = Date.now();
    const { result, calls } = await runRetrain({ requireApproval: true, approval: { timeout: '24 hours', onTimeout: 'reject' } });
    expect(result.ok && result.r.outcome).toBe('NOT_APPROVED');
    expect(result.ok && result.r.approval).toMatchObject({ approved: false, approver: 'timeout-policy', by: 'timeout' });
    expect(calls).toContain('markCandidateRejected');
    expect(calls).not.toContain('promoteModel');
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('promotes after an approval timeout whose policy approves', async () => {
    const { result } = await runRetrain({ requireApproval: true, approval: { timeout: '2 hours', onTimeout: 'approve' } });
    expect(result.ok && result.r.outcome).toBe('PROMOTED');
    expect(result.ok && result.r.reason).toContain('approved by timeout-policy');
  });

  it('reports SUPERSEDED when production changed under the run', async () => {
    const { result } = await runRetrain(
      {},
      { promoteModel: async () => ({ status: 'superseded', fromVersion: 3, toVersion: 2, alreadyDone: false }) },
    );
    expect(result.ok && result.r.outcome).toBe('SUPERSEDED');
    expect(result.ok && result.r.reason).toContain('production moved to v3');
  });

  it('fails with the cause of a non-retryable activity failure, after one attempt, abandoning the candidate', async () => {
    let attempts = 0;
    const { result, calls } = await runRetrain(
      {},
      {
        compareModels: async () => {
          attempts++;
          throw ApplicationFailure.nonRetryable('champion version 11 is corrupted', 'ModelCorrupted');
        },
      },
    );
    expect(result.ok).toBe(false);
    const error = !result.ok ? result.e : null;
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause?.cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe('ModelCorrupted');
    expect(cause.message).toBe('champion version 11 is corrupted');
    expect(attempts).toBe(1);
    expect(calls).toContain('abandonRun');
  });

  it('fails at once with InvalidInput on a bad input, calling nothing', async () => {
    const { result, calls } = await runRetrain({ hyperparameters: { epochs: 0 } });
    expect(result.ok).toBe(false);
    const cause = (!result.ok ? (result.e as WorkflowFailedError).cause : null) as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toBe('invalid run input: hyperparameters: epochs must be an integer in [1, 10000], got 0');
    expect(calls).toEqual([]);
  });
});

describe('monitorModel', () => {
  async function runMonitor(over: Fakes) {
    current = fakes(over);
    const recorded: unknown[] = [];
    const record = current.activities.recordMonitorEvent!;
    current.activities.recordMonitorEvent = async (input) => {
      recorded.push(input);
      return record(input);
    };
    const result = await env.client.workflow.execute(monitorModel, {
      taskQueue,
      workflowId: `monitor-test-${++run}`,
      args: [{ model: 'spam' }],
    });
    return { result, recorded, calls: current.calls.filter((c) => c !== 'deliverNotification') };
  }

  it('records a healthy evaluation and starts nothing', async () => {
    const { result, calls } = await runMonitor({});
    expect(result).toMatchObject({ action: 'none', trigger: null, retrainWorkflowId: null });
    expect(calls).toEqual(['assessModel', 'recordMonitorEvent']);
  });

  it('starts no run during the cooldown after its last one, and records why', async () => {
    const { result, recorded, calls } = await runMonitor({
      assessModel: async () => assessment({ trigger: 'decay', cooldownUntil: '2026-01-02T00:00:00.000Z' }),
    });
    expect(result).toMatchObject({ action: 'cooldown', trigger: 'decay', retrainWorkflowId: null });
    expect(recorded).toMatchObject([{ action: 'cooldown', retrainWorkflowId: null }]);
    expect(calls).toEqual(['assessModel', 'recordMonitorEvent']);
  });
});
