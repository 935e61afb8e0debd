/**
 * The operating commands as a user types them, against a real dev server and PostgreSQL given
 * through TEMPORAL_ADDRESS and DATABASE_URL (the production-shaped configuration).
 */

import path from 'node:path';
import { tempDir } from '../support/dirs.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cliEnv, startTestStack, type TestStack } from '../support/services.ts';
import { awaitApproval, importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { waitFor } from '../support/wait.ts';
import { runCli } from '../support/cli.ts';
import { runProgress, startRetrain } from '../../runs/client.ts';
import type { RunResult } from '../../workflows/definitions.ts';

let stack: TestStack;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  stack = await startTestStack();
  env = { ...cliEnv(stack, tempDir(path.join(inject('stateDir'), 'ops-cli-'))) };
  await importRows(stack.database.db, 'cli', syntheticTexts(300, ['on', 'off'], 41));
});
afterAll(async () => {
  await stack?.stop();
});

describe('operating from the command line', () => {
  it('retrain --wait shows the stages on stderr and prints the decision as JSON', async () => {
    const r = await runCli(['retrain', '--model', 'cli', '--wait', '--json', '--buckets', '2048'], env);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result).toMatchObject({ outcome: 'PROMOTED', trigger: 'manual', candidateVersion: 1 });
    expect(r.stderr).toMatch(/waiting for the decision/);
    const runs = await runCli(['runs', 'list', '--model', 'cli', '--json'], env);
    expect(JSON.parse(runs.stdout).runs[0]).toMatchObject({ workflowId: result.workflowId, status: 'COMPLETED' });
    const shown = await runCli(['runs', 'show', result.workflowId, '--json'], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'COMPLETED', result: { outcome: 'PROMOTED' } });
  });

  it('reports training progress (epoch, loss) of a running run', async () => {
    // A model name no other file runs: the run slot is per model on the shared Temporal server.
    await importRows(stack.database.db, 'slow-cli', syntheticTexts(3000, ['on', 'off'], 42));
    const handle = await startRetrain(stack.client, stack.taskQueue, {
      model: 'slow-cli',
      trigger: 'manual',
      hyperparameters: { epochs: 10000, earlyStopping: false, batchSize: 1, buckets: 4096 },
    });
    const progress = await waitFor(
      'training epoch 2',
      async () => {
        const p = await runProgress(stack.client, handle.workflowId);
        return p.stage === 'training' && (p.epoch ?? 0) >= 2 ? p : undefined;
      },
      60_000,
    );
    expect(progress.trainLoss).toBeGreaterThan(0);
    const shown = await runCli(['runs', 'show', handle.workflowId, '--json'], env);
    expect(JSON.parse(shown.stdout).progress, shown.stdout + shown.stderr).toMatchObject({ stage: 'training', epoch: expect.any(Number) });
    await handle.terminate('progress seen');
  });

  it("refuses a second run of a model with the running run's id, or attaches to it with --attach", async () => {
    await importRows(stack.database.db, 'attach', syntheticTexts(200, ['on', 'off'], 43));
    const handle = await startRetrain(stack.client, stack.taskQueue, {
      model: 'attach',
      trigger: 'manual',
      requireApproval: true,
      hyperparameters: { buckets: 2048 },
    });
    await awaitApproval(handle);
    const refused = await runCli(['retrain', '--model', 'attach'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `nightshift: model attach already has a run in progress: ${handle.workflowId} (pass --attach to follow it)`,
    );
    const attached = await runCli(['retrain', '--model', 'attach', '--attach', '--json'], env);
    expect(attached.code, attached.stderr).toBe(0);
    expect(JSON.parse(attached.stdout)).toMatchObject({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId });
    const approved = await runCli(['approve', handle.workflowId, '--reason', 'cli test', '--approver', 'erin', '--json'], env);
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ approved: true, approver: 'erin', by: 'person' });
    expect(((await handle.result()) as RunResult).outcome).toBe('PROMOTED');
  });

  it('refuses to approve a run that is not waiting, naming the problem', async () => {
    const runs = JSON.parse((await runCli(['runs', 'list', '--model', 'cli', '--json'], env)).stdout).runs as Array<{ workflowId: string }>;
    const r = await runCli(['approve', runs[0].workflowId, '--reason', 'ok'], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^nightshift: run retrain-cli-\S+ is not waiting for approval: it is completed$/);
    const none = await runCli(['approve', 'no-such-run', '--reason', 'ok'], env);
    expect(none.stderr).toMatch(/no run "no-such-run"/);
  });

  it('rejects bad schedule input with one line each and changes nothing', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['schedule', 'create', '--model', 'ghost'], 1, /unknown model "ghost"/],
      [['schedule', 'create', '--model', 'cli', '--cron', 'every night'], 2, /invalid --cron "every night"/],
      // Seven (or six) fields: Temporal would read the first as seconds and run every second.
      [
        ['schedule', 'create', '--model', 'cli', '--cron', '* * * * * * *'],
        2,
        /invalid --cron "\* \* \* \* \* \* \*": use 5 fields .* \(7 fields would start with seconds\)/,
      ],
      [['schedule', 'update', '--model', 'cli', '--cron', '0 0 2 * * *'], 2, /invalid --cron "0 0 2 \* \* \*"/],
      [['schedule', 'create', '--model', 'cli', '--cron', '@every-second'], 2, /invalid --cron "@every-second"/],
      [['schedule', 'create', '--model', 'cli', '--replace', '--if-missing'], 2, /use --replace or --if-missing, not both/],
      [['schedule', 'create', '--model', 'cli', '--timezone', 'Mars/Base'], 2, /invalid timezone "Mars\/Base"/],
      [['schedule', 'create', '--model', 'cli', '--at', '25:00'], 2, /invalid --at "25:00"/],
      [
        ['schedule', 'backfill', '--model', 'cli', '--from', '2026-02-02', '--to', '2026-02-01'],
        2,
        /--from 2026-02-02 is after --to 2026-02-01/,
      ],
      [['schedule', 'pause', '--model', 'cli'], 2, /needs --note/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runCli(args, env);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    const schedules = [];
    for await (const s of stack.client.schedule.list()) schedules.push(s.scheduleId);
    expect(schedules.filter((id) => id.endsWith('-cli') || id.endsWith('-ghost'))).toEqual([]);
  });

  it('creates, describes, pauses and deletes a schedule', async () => {
    const created = await runCli(['schedule', 'create', '--model', 'cli', '--at', '04:15', '--timezone', 'Asia/Tokyo', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ scheduleId: 'nightly-retrain-cli', result: 'created' });
    // An existing schedule is never replaced by create: refused (exit 1) unless --replace; --if-missing keeps it.
    const again = await runCli(['schedule', 'create', '--model', 'cli', '--cron', '@hourly', '--json'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/schedule nightly-retrain-cli already exists; change it with `nightshift schedule update --model cli`/);
    const kept = await runCli(['schedule', 'create', '--model', 'cli', '--cron', '@hourly', '--if-missing', '--json'], env);
    expect(kept.code, kept.stderr).toBe(0);
    expect(JSON.parse(kept.stdout).result).toBe('kept');
    expect(JSON.parse((await runCli(['schedule', 'describe', '--model', 'cli', '--json'], env)).stdout).spec.cronExpressions ?? []).toEqual(
      [],
    );
    const replaced = await runCli(
      ['schedule', 'create', '--model', 'cli', '--at', '04:15', '--timezone', 'Asia/Tokyo', '--replace', '--json'],
      env,
    );
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(JSON.parse(replaced.stdout).result).toBe('replaced');
    await runCli(['schedule', 'pause', '--model', 'cli', '--note', 'holiday freeze'], env);
    const d = JSON.parse((await runCli(['schedule', 'describe', '--model', 'cli', '--json'], env)).stdout);
    expect(d).toMatchObject({ paused: true, note: 'holiday freeze', numActionsSkippedOverlap: 0 });
    // The default jitter (5 minutes): the server's next run is 04:15 Tokyo (19:15 UTC) plus up to 5 minutes.
    expect(d.spec.jitter).toBe(5 * 60_000);
    for (const t of d.nextActionTimes as string[]) expect(t).toMatch(/T19:1[5-9]:\d\d/);
    const text = await runCli(['schedule', 'describe', '--model', 'cli'], env);
    expect(text.stdout).toMatch(/nightly retraining of cli at 04:15 Asia\/Tokyo \[Asia\/Tokyo\], jitter up to 5m/);
    // --jitter 0: on the dot.
    expect(
      (await runCli(['schedule', 'update', '--model', 'cli', '--at', '04:15', '--timezone', 'Asia/Tokyo', '--jitter', '0'], env)).code,
    ).toBe(0);
    const exact = JSON.parse((await runCli(['schedule', 'describe', '--model', 'cli', '--json'], env)).stdout);
    expect(exact.spec.jitter ?? 0).toBe(0);
    expect(exact.nextActionTimes[0]).toMatch(/T19:15:00/);
    expect((await runCli(['schedule', 'describe', '--model', 'cli'], env)).stdout).toMatch(/Asia\/Tokyo\], no jitter/);
    expect((await runCli(['schedule', 'delete', '--model', 'cli'], env)).code).toBe(0);
    expect((await runCli(['schedule', 'describe', '--model', 'cli'], env)).stderr).toMatch(/model cli has no schedule/);
  });
});
