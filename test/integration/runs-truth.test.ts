/**
 * Runs tell the truth: a failure's cause reaches every place people look, nothing is promoted that
 * is not better, bad input is refused before it can do harm (by the client and by the workflow),
 * a run can be cancelled and releases its data, the first approval answer decides, and the CLI
 * keeps its conventions. Against a real dev server and PostgreSQL, through the CLI as users type it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { retrainModel } from '../../workflows/index.ts';
import { tempDir } from '../support/dirs.ts';
import { cliEnv, startTestStack, type TestStack } from '../support/services.ts';
import { awaitApproval, importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { waitFor } from '../support/wait.ts';
import { runCli } from '../support/cli.ts';
import { approveUpdate, rejectUpdate, type RetrainInput, type RunResult } from '../../workflows/definitions.ts';
import { startRetrain } from '../../runs/client.ts';
import { getModel } from '../../registry/models.ts';
import { listVersions } from '../../registry/versions.ts';

let stack: TestStack;
let env: NodeJS.ProcessEnv;
const dir = tempDir(path.join(inject('stateDir'), 'runs-truth-'));
const labels = ['on', 'off'];
const permissive = { absolute: [{ metric: 'accuracy', min: 0 }], change: [] };

beforeAll(async () => {
  stack = await startTestStack();
  env = { ...cliEnv(stack, dir), NO_COLOR: '1' };
});
afterAll(async () => {
  await stack?.stop();
});

const start = (input: RetrainInput, workflowId = `truth-${input.model}-${Date.now()}`) =>
  stack.client.workflow.start<typeof retrainModel>('retrainModel', { taskQueue: stack.taskQueue, workflowId, args: [input] });

async function visibleOutcome(workflowId: string): Promise<string | undefined> {
  return waitFor('the Outcome search attribute', async () => {
    for await (const w of stack.client.workflow.list({ query: `WorkflowId = "${workflowId}" AND Outcome = "FAILED"` })) return w.workflowId;
    return undefined;
  });
}

async function awaitingApproval(workflowId: string): Promise<number> {
  return awaitApproval(stack.client.workflow.getHandle<typeof retrainModel>(workflowId));
}

describe('a failure says why, everywhere', () => {
  it('a diverging run: retrain --wait, runs show, runs list, the Outcome search attribute and the UI details name the cause', async () => {
    await importRows(stack.database.db, 'diverge', syntheticTexts(300, labels, 1));
    const waited = await runCli(['retrain', '--model', 'diverge', '--wait', '--learning-rate', '1e6', '--buckets', '1024'], env);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(
      /failed: TrainingDiverged in trainCandidate: training diverged .*learning rate 1000000 is likely too large/,
    );
    const workflowId = /run (retrain-diverge-\S+) failed/.exec(waited.stderr)![1];

    const shown = await runCli(['runs', 'show', workflowId], env);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toMatch(/FAILED/);
    expect(shown.stdout).toMatch(/TrainingDiverged in trainCandidate: training diverged/);
    const shownJson = await runCli(['runs', 'show', workflowId, '--json'], env);
    expect(shownJson.code).toBe(1);
    expect(JSON.parse(shownJson.stdout)).toMatchObject({
      status: 'FAILED',
      outcome: 'FAILED',
      failure: { type: 'TrainingDiverged', activity: 'trainCandidate', message: expect.stringMatching(/diverged/) },
    });

    expect(await visibleOutcome(workflowId)).toBe(workflowId);
    const listed = await runCli(['runs', 'list', '--model', 'diverge', '--json'], env);
    expect(JSON.parse(listed.stdout).runs[0]).toMatchObject({ workflowId, outcome: 'FAILED', trigger: 'manual' });
    // The UI's current details (the SDK's built-in metadata query) say FAILED with the cause.
    const metadata = await stack.client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/### diverge: FAILED \(during training\)/);
    expect(metadata.currentDetails).toMatch(/TrainingDiverged in trainCandidate/);
    const waitedJson = await runCli(
      ['retrain', '--model', 'diverge', '--wait', '--json', '--learning-rate', '1e6', '--buckets', '1024'],
      env,
    );
    expect(waitedJson.code).toBe(1);
    expect(JSON.parse(waitedJson.stdout)).toMatchObject({
      status: 'FAILED',
      failure: { type: 'TrainingDiverged', activity: 'trainCandidate' },
    });
  });
});

describe('nothing is promoted that is not better', () => {
  it('a forced run on unchanged data trains the same bytes and is rejected as identical; the summary says what it evaluated', async () => {
    await importRows(stack.database.db, 'same', syntheticTexts(400, labels, 2));
    const first = await runCli(['retrain', '--model', 'same', '--wait', '--json', '--buckets', '2048'], env);
    expect(first.code, first.stderr).toBe(0);
    expect((JSON.parse(first.stdout) as RunResult).outcome).toBe('PROMOTED');
    const forced = await runCli(['retrain', '--model', 'same', '--wait', '--force', '--buckets', '2048'], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/same: REJECTED/);
    expect(forced.stdout).toMatch(/byte-identical to champion v1/);
    expect(forced.stdout).toMatch(/data: 0 new rows; evaluated on all 400 rows to date \(\d+ held out\), as forced/);
    const m = await getModel(stack.database.db, 'same');
    expect((await listVersions(stack.database.db, m.id)).map((v) => [v.version, v.status])).toEqual([
      [1, 'production'],
      [2, 'rejected'],
    ]);
  });

  it('the decision shows drift in plain words, and a stored policy (versioned, audited) is used by the next run', async () => {
    await importRows(stack.database.db, 'policy', syntheticTexts(300, labels, 3));
    expect((await runCli(['retrain', '--model', 'policy', '--wait', '--buckets', '2048'], env)).code).toBe(0);
    const shown = await runCli(['models', 'policy', '--model', 'policy', '--json'], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ source: 'built-in default', version: null, policy: { change: expect.any(Array) } });
    const changed = await runCli(
      ['models', 'policy', '--model', 'policy', '--min-f1-improvement', '0.5', '--reason', 'only big wins', '--actor', 'ann'],
      env,
    );
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/policy v1 in force \(by person:ann: only big wins\)/);
    const noReason = await runCli(['models', 'policy', '--model', 'policy', '--min-f1', '0.9'], env);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/needs --reason/);

    await importRows(stack.database.db, 'policy', syntheticTexts(200, labels, 4));
    const run = await runCli(['retrain', '--model', 'policy', '--wait', '--json', '--buckets', '2048'], env);
    const result = JSON.parse(run.stdout) as RunResult;
    expect(result.outcome).toBe('REJECTED');
    expect(result.decision!.policySource).toBe("the model's policy v1");
    expect(result.decision!.checks).toContainEqual(
      expect.objectContaining({ kind: 'improvement', metric: 'f1', threshold: 0.5, pass: false }),
    );
    expect(result.decision!.drift).toMatchObject({
      reading: expect.stringMatching(/^tokens: .* \(JS \d\.\d{3}\); labels: .*unseen tokens/),
    });
    const text = await runCli(['runs', 'show', result.workflowId], env);
    expect(text.stdout).toMatch(/drift: tokens: /);
    expect(text.stdout).toMatch(/policy: the model's policy v1/);

    // A policy for one run only, from a file.
    const file = path.join(dir, 'lenient.json');
    writeFileSync(file, JSON.stringify(permissive));
    await importRows(stack.database.db, 'policy', syntheticTexts(200, labels, 5));
    const once = JSON.parse(
      (await runCli(['retrain', '--model', 'policy', '--wait', '--json', '--policy', file, '--buckets', '2048'], env)).stdout,
    ) as RunResult;
    expect(once.decision!.policySource).toBe('the run');
    const history = JSON.parse((await runCli(['models', 'policy', '--model', 'policy', '--history', '--json'], env)).stdout);
    expect(history.history).toHaveLength(1);
    expect(history.history[0]).toMatchObject({ version: 1, changedBy: 'person:ann', reason: 'only big wins' });
  });
});

describe('bad input is refused before it can do harm', () => {
  it('the client refuses bad durations, ranges and choices as usage errors naming the flag, and starts nothing', async () => {
    await importRows(stack.database.db, 'input', syntheticTexts(300, labels, 6));
    const cases: Array<[string[], RegExp]> = [
      [['retrain', '--model', 'input', '--approval-timeout', 'soon'], /--approval-timeout must be a duration/],
      [['retrain', '--model', 'input', '--approval-timeout', '0'], /--approval-timeout must be between 1s and 365 days, got "0"/],
      [['retrain', '--model', 'input', '--approval-timeout', '1000y'], /--approval-timeout must be between/],
      [['retrain', '--model', 'input', '--step-timeout', 'forever'], /--step-timeout must be a duration/],
      [['retrain', '--model', 'input', '--step-timeout', '0'], /--step-timeout must be between/],
      [['retrain', '--model', 'input', '--history-rows', '2'], /--history-rows must be a whole number from 5/],
      [['retrain', '--model', 'input', '--history-rows', '1e3'], /--history-rows must be a whole number/],
      [['retrain', '--model', 'input', '--history-rows', '500', '--mode', 'update'], /--history-rows applies to --mode full only/],
      [['retrain', '--model', 'input', '--approval-default', 'maybe'], /--approval-default must be one of approve, reject/],
      [['retrain', '--model', 'input', '--epochs', '0'], /--epochs must be an integer in \[1, 10000\], got 0/],
      [['retrain', '--model', 'input', '--batch-size', '0'], /--batch-size must be an integer >= 1/],
      [['retrain', '--model', 'input', '--validation-fraction', '2'], /--validation-fraction must be in \[0, 1\)/],
      [['retrain', '--model', 'input', '--policy', path.join(dir, 'missing.json')], /cannot read --policy .*ENOENT/],
      [['schedule', 'create', '--model', 'input', '--jitter=-5m'], /--jitter must be between 0s and 1 day, got "-5m"/],
      [['schedule', 'create', '--model', 'input', '--jitter', 'abc'], /--jitter must be a duration/],
      [['schedule', 'create', '--model', 'input', '--catchup-window', '1s'], /--catchup-window must be between 10s and 365 days/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const runs = await runCli(['runs', 'list', '--model', 'input', '--json'], env);
    expect(JSON.parse(runs.stdout).runs).toEqual([]);
  });

  it('the workflow refuses input from any client at once, non-retryably, and the model is not wedged', async () => {
    const bad = await start({
      model: 'input',
      trigger: 'manual',
      requireApproval: true,
      approval: { timeout: 'soon', onTimeout: 'reject' },
    });
    const err = await bad.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: expect.stringMatching(/approval.timeout must be a duration.*"soon"/),
    });
    const badHp = await start({ model: 'input', trigger: 'manual', hyperparameters: { epochs: 0 } });
    await expect(badHp.result()).rejects.toMatchObject({
      cause: { type: 'InvalidInput', message: expect.stringMatching(/hyperparameters: epochs must be an integer/) },
    });
    const badHistory = await start({ model: 'input', trigger: 'manual', historyRows: 2.5 });
    await expect(badHistory.result()).rejects.toMatchObject({
      cause: { type: 'InvalidInput', message: expect.stringMatching(/historyRows must be an integer from 5/) },
    });
    // Nothing was decided: the next run sees all 300 rows as new and decides.
    const next = await (await start({ model: 'input', trigger: 'manual', hyperparameters: { buckets: 2048 } })).result();
    expect(next.outcome).toBe('PROMOTED');
    expect(next.snapshot!.newRows).toBe(300);
  });

  it('runs cancel stops a run: the candidate is abandoned, the data goes to the next run, and the reason is kept', async () => {
    await importRows(stack.database.db, 'cancel', syntheticTexts(300, labels, 7));
    const handle = await startRetrain(stack.client, stack.taskQueue, {
      model: 'cancel',
      trigger: 'manual',
      requireApproval: true,
      policy: permissive,
      hyperparameters: { buckets: 2048 },
    });
    const candidate = await awaitingApproval(handle.workflowId);
    const missing = await runCli(['runs', 'cancel', handle.workflowId], env);
    expect(missing.code).toBe(2);
    const cancelled = await runCli(['runs', 'cancel', handle.workflowId, '--reason', 'wrong data', '--by', 'ann'], env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(/cancelled by ann: wrong data/);
    const shown = await runCli(['runs', 'show', handle.workflowId, '--json'], env);
    expect(shown.code).toBe(1);
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'CANCELLED', outcome: 'CANCELLED' });
    const m = await getModel(stack.database.db, 'cancel');
    expect((await listVersions(stack.database.db, m.id)).find((v) => v.version === candidate)?.status).toBe('abandoned');
    const again = await runCli(['runs', 'cancel', handle.workflowId, '--reason', 'twice'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is not running/);
    // The slot is free and the 300 rows were never decided.
    const next = await (await start({ model: 'cancel', trigger: 'manual', hyperparameters: { buckets: 2048 } })).result();
    expect(next.snapshot!.newRows).toBe(300);
    expect(next.outcome).toBe('PROMOTED');
  });

  it('approve and reject at the same instant: the first answer decides, the other is refused naming it', async () => {
    await importRows(stack.database.db, 'answer', syntheticTexts(300, labels, 8));
    const handle = await start({
      model: 'answer',
      trigger: 'manual',
      requireApproval: true,
      policy: permissive,
      hyperparameters: { buckets: 2048 },
    });
    const candidateVersion = await awaitingApproval(handle.workflowId);
    const answers = await Promise.allSettled([
      handle.executeUpdate(approveUpdate, { args: [{ candidateVersion, approver: 'ann', reason: 'ship it' }] }),
      handle.executeUpdate(rejectUpdate, { args: [{ candidateVersion, approver: 'ben', reason: 'hold it' }] }),
    ]);
    const fulfilled = answers.filter((a) => a.status === 'fulfilled');
    const refused = answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0].reason).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused[0].reason as WorkflowUpdateFailedError).cause?.message).toMatch(
      /was already (approved by ann: ship it|rejected by ben: hold it)/,
    );
    const result = await handle.result();
    expect(result.outcome).toBe(answers[0].status === 'fulfilled' ? 'PROMOTED' : 'NOT_APPROVED');
  });
});

describe('the CLI follows the conventions people bring', () => {
  it('version, help, exit codes and did-you-mean', async () => {
    const version = await runCli(['--version'], {});
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^nightshift \d+\.\d+\.\d+\n$/);
    const bare = await runCli([], {});
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^Usage: nightshift <command>/);
    const help = await runCli(['help', 'retrain'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nightshift retrain --model NAME/);
    const typo = await runCli(['retrian'], {});
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown command "retrian" \(did you mean retrain\?\)/);
    const sub = await runCli(['models', 'lst'], env);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/unknown subcommand models lst \(did you mean list\?\)/);
    const foreign = await runCli(['models', 'list', '--version', '3', '--to', '1', '--reason', 'x'], env);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/unknown option --version/);
    const flag = await runCli(['retrain', '--modell', 'x'], env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option --modell \(did you mean --model\?\)/);
    const unknownModel = await runCli(['retrain', '--model', 'nosuch'], env);
    expect(unknownModel.code).toBe(1);
    expect(unknownModel.stderr).toMatch(/nosuch/);
  });

  it('runs show prints a running run as text: stage, epoch and loss', async () => {
    await importRows(stack.database.db, 'slow', syntheticTexts(2000, labels, 9));
    const handle = await startRetrain(stack.client, stack.taskQueue, {
      model: 'slow',
      trigger: 'manual',
      hyperparameters: { epochs: 10000, earlyStopping: false, batchSize: 1, buckets: 2048 },
    });
    try {
      const shown = await waitFor(
        'an epoch',
        async () => {
          const r = await runCli(['runs', 'show', handle.workflowId], env);
          return /epoch \d+: loss \d\.\d{4}/.test(r.stdout) ? r : undefined;
        },
        60_000,
      );
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`^${handle.workflowId}: RUNNING\\n  stage: training\\n  epoch \\d+: loss`));
      expect(shown.stdout).not.toMatch(/[{}]/);
    } finally {
      await runCli(['runs', 'cancel', handle.workflowId, '--reason', 'test over'], env);
    }
  });
});
