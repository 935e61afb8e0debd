/**
 * Faults 3, 8-12 of docs/reliability.md: racing promotions, bad data, divergence, corrupted model
 * bytes, a lowered payload size limit and hostile names, on the real dev server and PostgreSQL.
 */
import type { retrainModel, setProduction } from '../../workflows/index.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../support/dirs.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startTestStack, type TestStack } from '../support/services.ts';
import { awaitApproval, importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { runCli } from '../support/cli.ts';
import { startDevServer, type DevServer } from '../../stack/temporal-server.ts';
import { freePort } from '../../stack/ports.ts';
import { approveUpdate, SEARCH_ATTRIBUTES, type RetrainInput, type RunResult } from '../../workflows/definitions.ts';
import { getModel } from '../../registry/models.ts';
import { listVersions } from '../../registry/versions.ts';
import { promote, productionVersionId } from '../../registry/promotions.ts';
import { createPool } from '../../registry/pool.ts';

let stack: TestStack;
const dir = tempDir(path.join(inject('stateDir'), 'data-faults-'));
const labels = ['keep', 'drop'];
const hp = { buckets: 2048 };

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const db = () => stack.database.db;
const env = () => ({
  DATABASE_URL: stack.database.url,
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  NIGHTSHIFT_TASK_QUEUE: stack.taskQueue,
  NIGHTSHIFT_HOME: dir,
});
const run = (model: string, extra: Partial<RetrainInput> = {}, workflowId = `data-fault-${model}-${Date.now()}`) =>
  stack.client.workflow.start<typeof retrainModel>('retrainModel', {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [{ model, trigger: 'test', hyperparameters: hp, stepTimeout: '10 seconds', ...extra } satisfies RetrainInput],
  });
async function productionVersions(model: string): Promise<number[]> {
  const m = await getModel(db(), model);
  return (await listVersions(db(), m.id)).filter((v) => v.status === 'production').map((v) => v.version);
}
async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause?.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}
async function activityAttempts(workflowId: string, activity: string): Promise<number[]> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const attempts: number[] = [];
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes)
      scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.get(String(started.scheduledEventId)) === activity) attempts.push(started.attempt ?? 0);
  }
  return attempts;
}

describe('racing promotions', () => {
  it('two runs of one model started at the same moment: one holds the run slot, the other ends SKIPPED_RUN_IN_PROGRESS naming it', async () => {
    await importRows(db(), 'race', syntheticTexts(300, labels, 1));
    const policy = { absolute: [{ metric: 'accuracy', min: 0 }], change: [], minEvaluationRows: 10 }; // 100 new rows hold 20 out
    // Started directly (the CLI would refuse the second), both at once.
    const [a, b] = await Promise.all([
      run('race', { policy }, `race-a-${Date.now()}`),
      run('race', { policy, hyperparameters: { ...hp, seed: 99 } }, `race-b-${Date.now()}`),
    ]);
    const results = [await a.result(), await b.result()];
    const skipped = results.filter((r) => r.outcome === 'SKIPPED_RUN_IN_PROGRESS');
    const promoted = results.filter((r) => r.outcome === 'PROMOTED');
    expect(skipped).toHaveLength(1);
    expect(promoted).toHaveLength(1);
    expect(skipped[0].reason).toContain(promoted[0].workflowId);
    expect(skipped[0].snapshot).toBeNull();
    expect((await productionVersions('race')).length).toBe(1);
    // The slot is free again once the holder ended: the next run takes it.
    await importRows(db(), 'race', syntheticTexts(100, labels, 2));
    expect((await (await run('race', { policy }, `race-c-${Date.now()}`)).result()).outcome).toBe('PROMOTED');
  });

  it('a promotion racing a manual rollback: the rollback wins, the run ends SUPERSEDED and promotes nothing', async () => {
    await importRows(db(), 'race', syntheticTexts(100, labels, 3));
    const policy = { absolute: [{ metric: 'accuracy', min: 0 }], change: [], minEvaluationRows: 10 }; // 100 new rows hold 20 out
    const handle = await run('race', { requireApproval: true, policy }, `race-d-${Date.now()}`);
    const candidateVersion = await awaitApproval(handle);
    await stack.client.workflow.execute<typeof setProduction>('setProduction', {
      taskQueue: stack.taskQueue,
      workflowId: `race-rollback-${Date.now()}`,
      args: [{ model: 'race', kind: 'rollback', reason: 'back to v1 while the run waits', actor: 'person:test' }],
    });
    await handle.executeUpdate(approveUpdate, { args: [{ candidateVersion, approver: 'ann', reason: 'race' }] });
    const result = await handle.result();
    expect(result.outcome).toBe('SUPERSEDED');
    expect(await productionVersions('race')).toEqual([1]);
  });

  it('twenty concurrent compare-and-swaps from separate connections: one wins, never zero or two production versions', async () => {
    const m = await getModel(db(), 'race');
    const current = await productionVersionId(db(), m.id);
    const versions = (await listVersions(db(), m.id)).map((v) => v.id).filter((id) => id !== current);
    const pools = Array.from({ length: 4 }, () => createPool(stack.database.url, { max: 5 }));
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          promote(pools[i % 4], {
            modelId: m.id,
            toVersionId: versions[i % versions.length],
            expectedFromVersionId: current,
            kind: 'override',
            reason: 'race',
            decision: null,
            actor: 'test',
            workflowId: `cas-${i}`,
            runId: 'r',
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'promoted')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'superseded')).toHaveLength(19);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    expect((await productionVersions('race')).length).toBe(1);
  });
});

describe('bad data', () => {
  it('import keeps the good rows and reports each bad one', async () => {
    const good = syntheticTexts(60, labels, 2).map((r) => JSON.stringify(r));
    const big = JSON.stringify({ text: 'keepword1 '.repeat(1_000_000), label: 'keep' }); // 10 MB
    const file = path.join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(
          [...good.slice(0, 30), 'this is not json', '{"text": "", "label": "keep"}', '{"text": "no label"}', big].join('\n') + '\n',
        ),
        Buffer.from([0x7b, 0x22, 0x74, 0xff, 0xfe, 0x0a]), // invalid UTF-8
        Buffer.from(['{"text": "nul \\u0000", "label": "drop"}', ...good.slice(30)].join('\n') + '\n'),
      ]),
    );
    const r = await runCli(['data', 'import', '--model', 'messy', '--create', '--file', file, '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { accepted: number; duplicates: number; rejected: Array<{ line: number; reason: string }> };
    expect(report.accepted + report.duplicates).toBe(61);
    expect(report.rejected.map((x) => x.reason)).toEqual([
      expect.stringMatching(/^bad JSON/),
      'empty text',
      'missing label',
      'invalid UTF-8',
      'text contains a NUL character',
    ]);
    // 61 rows hold 12 out: below the default evidence floor (30), so the policy lowers it.
    const handle = await run('messy', { policy: { absolute: [{ metric: 'accuracy', min: 0 }], change: [], minEvaluationRows: 10 } });
    expect(((await handle.result()) as RunResult).outcome).toBe('PROMOTED');
  });

  it('a run on data that cannot train ends DATA_INVALID once, with no retry storm and production unchanged', async () => {
    await importRows(db(), 'tiny', [
      { text: 'one', label: 'a' },
      { text: 'two', label: 'b' },
      { text: 'three', label: 'a' },
    ]);
    const handle = await run('tiny');
    const result = (await handle.result()) as RunResult;
    expect(result.outcome).toBe('DATA_INVALID');
    expect(result.reason).toMatch(/at least 5 are needed|no held-out/);
    expect(await activityAttempts(handle.workflowId, 'fetchNewData')).toEqual([1]);
    expect(await activityAttempts(handle.workflowId, 'trainCandidate')).toEqual([]);
    expect(await productionVersions('tiny')).toEqual([]);
  });
});

describe('training that diverges', () => {
  it('fails the run non-retryably with the reason; no version is written; production unchanged', async () => {
    await importRows(db(), 'diverge', syntheticTexts(300, labels, 3));
    expect(((await (await run('diverge')).result()) as RunResult).outcome).toBe('PROMOTED');
    await importRows(db(), 'diverge', syntheticTexts(100, labels, 4));
    const handle = await run('diverge', { hyperparameters: { ...hp, learningRate: 1e6 } });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('TrainingDiverged');
    expect(failure.message).toMatch(/diverged/);
    expect(await activityAttempts(handle.workflowId, 'trainCandidate')).toEqual([1]);
    const m = await getModel(db(), 'diverge');
    expect((await listVersions(db(), m.id)).map((v) => v.version)).toEqual([1]);
    expect(await productionVersions('diverge')).toEqual([1]);
  });
});

describe('corrupted model bytes', () => {
  it('fail their checksum: the run stops naming the version, and nothing promotes them', async () => {
    await importRows(db(), 'corrupt', syntheticTexts(300, labels, 5));
    expect(((await (await run('corrupt')).result()) as RunResult).outcome).toBe('PROMOTED');
    await importRows(db(), 'corrupt', syntheticTexts(100, labels, 6));
    expect(
      (
        (await (
          await run('corrupt', { policy: { absolute: [{ metric: 'accuracy', min: 0 }], change: [], minEvaluationRows: 10 } })
        ).result()) as RunResult
      ).outcome,
    ).toBe('PROMOTED');
    const m = await getModel(db(), 'corrupt');
    await db().query(`UPDATE model_versions SET weights = set_byte(weights, 200, (get_byte(weights, 200) + 1) % 256) WHERE model_id = $1`, [
      m.id,
    ]);

    await importRows(db(), 'corrupt', syntheticTexts(100, labels, 7));
    const handle = await run('corrupt');
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('ModelCorrupted');
    expect(failure.message).toMatch(/version 2 \(id \d+\) failed its sha256 checksum|do not match the recorded sha256/);
    expect(await activityAttempts(handle.workflowId, 'evaluateModel')).toEqual([1]);

    const rollback = stack.client.workflow.execute<typeof setProduction>('setProduction', {
      taskQueue: stack.taskQueue,
      workflowId: `rollback-corrupt-${Date.now()}`,
      args: [{ model: 'corrupt', kind: 'rollback', reason: 'try the old one', actor: 'person:test' }],
    });
    const refused = await failureOf(rollback);
    expect(refused.type).toBe('ModelCorrupted');
    expect(refused.message).toMatch(/version 1 failed its sha256 checksum/);
    expect(await productionVersions('corrupt')).toEqual([2]);
  });
});

describe('hostile names', () => {
  it('labels and texts full of quotes, SQL and long Unicode are stored and shown literally; bad model names and NUL bytes are refused', async () => {
    const evil = `Robert'); DROP TABLE models; --`;
    const unicode = '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 "ласкаво" 🙂'.repeat(6);
    const rows = syntheticTexts(200, ['a', 'b'], 8).map((r) => ({
      text: `${r.text} "quoted" \\ back'slash ${evil}`,
      label: r.label === 'a' ? evil : unicode,
    }));
    await importRows(db(), 'hostile', rows);
    const result = (await (await run('hostile')).result()) as RunResult;
    expect(result.outcome).toBe('PROMOTED');
    const shown = await runCli(['models', 'show', '--model', 'hostile', '--json'], env());
    const versions = JSON.parse(shown.stdout).versions as Array<{ labels: string[] }>;
    expect(versions[0].labels.sort()).toEqual([evil, unicode].sort());
    const tables = await db().query(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'models'`);
    expect(Number(tables.rows[0].n)).toBe(1);

    const badName = await runCli(['retrain', '--model', `x"; DROP TABLE models; --`], env());
    expect(badName.code).toBe(2); // a usage error: the name is refused before anything starts
    expect(badName.stderr).toMatch(/invalid model name/);
    const file = path.join(dir, 'nul.jsonl');
    writeFileSync(
      file,
      JSON.stringify({ text: 'a\u0000b', label: 'x' }) + '\n' + JSON.stringify({ text: 'fine', label: 'x\u0000' }) + '\n',
    );
    const nul = await runCli(['data', 'import', '--model', 'hostile', '--file', file, '--json'], env());
    expect(JSON.parse(nul.stdout).rejected.map((r: { reason: string }) => r.reason)).toEqual([
      'text contains a NUL character',
      'label contains a NUL character',
    ]);
  });
});

describe('payload budget', () => {
  let server: DevServer;
  let small: TestStack;
  afterAll(async () => {
    await small?.stop();
    await server?.stop();
  });

  it('a full run succeeds with the server refusing any payload over 64 KiB, because none carries weights or data', async () => {
    server = await startDevServer({
      searchAttributes: SEARCH_ATTRIBUTES,
      cli: inject('temporalCli'),
      home: tempDir(path.join(dir, 'blob-')),
      port: await freePort(),
      uiPort: await freePort(),
      namespace: 'default',
      dynamicConfig: ['limit.blobSize.error=65536', 'limit.blobSize.warn=16384'],
    });
    small = await startTestStack({ temporalAddress: server.address });
    await importRows(small.database.db, 'budget', syntheticTexts(2000, ['x', 'y', 'z'], 9));
    const result = (await small.client.workflow.execute<typeof retrainModel>('retrainModel', {
      taskQueue: small.taskQueue,
      workflowId: `budget-${Date.now()}`,
      args: [{ model: 'budget', trigger: 'test' }],
    })) as RunResult;
    expect(result.outcome).toBe('PROMOTED');
    // The limit is live: a workflow given a 100 KB argument is refused.
    const refused = await small.client.workflow
      .start<typeof retrainModel>('retrainModel', {
        taskQueue: small.taskQueue,
        workflowId: `too-big-${Date.now()}`,
        args: [{ model: 'x'.repeat(100_000), trigger: 'test' }],
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    const explain = (e: unknown): string =>
      e instanceof Error ? `${e.message} ${(e as { details?: string }).details ?? ''} ${explain(e.cause)}` : '';
    expect(explain(refused)).toMatch(/Blob data size exceeds limit/);
  });
});
