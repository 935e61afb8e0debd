/**
 * Watching served models: the monitor starts exactly one retraining run on decay (with the trigger
 * and the numbers as its reason) and none during the cooldown; drift alone starts one when the
 * policy says so; webhooks receive each kind of event, and a failing receiver never fails a run.
 * Real dev server and PostgreSQL; predictions and feedback written to the real prediction log.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { retrainModel } from '../../workflows/index.ts';
import { tempDir } from '../support/dirs.ts';
import { cliEnv, startTestStack, type TestStack } from '../support/services.ts';
import { importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { waitFor } from '../support/wait.ts';
import { runCli } from '../support/cli.ts';
import type { MonitorResult, RunResult } from '../../workflows/definitions.ts';
import { getModel } from '../../registry/models.ts';
import { insertPredictions } from '../../registry/predictions.ts';
import { productionFacts } from '../../registry/monitoring.ts';

let stack: TestStack;
let env: NodeJS.ProcessEnv;
const labels = ['on', 'off'];
interface Received {
  event: string;
  model: string;
  text: string;
  command: string | null;
  workflowId: string;
  details: Record<string, unknown>;
}
const received: Received[] = [];
let good: Server;
let bad: Server;
let badHits = 0;

function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const urlOf = (s: Server): string => `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`;

beforeAll(async () => {
  stack = await startTestStack();
  env = { ...cliEnv(stack, tempDir(path.join(inject('stateDir'), 'watch-'))), NO_COLOR: '1' };
  good = await listen((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as Received);
      res.writeHead(204).end();
    });
  });
  bad = await listen((req, res) => {
    badHits++;
    req.resume();
    res.writeHead(500).end('down');
  });
  for (const url of [urlOf(good), urlOf(bad)]) {
    const added = await runCli(['notify', 'add', '--url', url], env);
    expect(added.code, added.stderr).toBe(0);
  }
});
afterAll(async () => {
  good?.close();
  bad?.close();
  await stack?.stop();
});

/** Logs `n` predictions of the production version; `wrong` of them get feedback saying otherwise. */
async function serve(model: string, texts: string[], options: { feedback: boolean; wrongShare: number }): Promise<void> {
  const db = stack.database.db;
  const m = await getModel(db, model);
  const facts = (await productionFacts(db, m.id))!;
  const now = Date.now();
  const rows = texts.map((text, i) => ({
    id: randomUUID(),
    modelId: m.id,
    versionId: facts.versionId,
    version: facts.version,
    createdAt: new Date(now - 1000 * (texts.length - i)),
    textHash: createHash('sha256').update(text).digest(),
    text,
    label: 'on',
    probabilities: { on: 0.9, off: 0.1 },
    latencyMs: 1,
  }));
  await insertPredictions(db, rows);
  if (options.feedback) {
    const wrong = Math.round(rows.length * options.wrongShare);
    for (const [i, r] of rows.entries()) {
      await db.query(`UPDATE predictions SET label_true = $2, feedback_at = now() WHERE id = $1`, [r.id, i < wrong ? 'off' : 'on']);
    }
  }
}

const monitorRun = async (model: string): Promise<MonitorResult> => {
  const r = await runCli(['monitor', 'run', '--model', model, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as MonitorResult;
};

describe('the monitor', () => {
  it('on decay starts exactly one retraining run with trigger decay and the numbers as its reason, then none during the cooldown', async () => {
    await importRows(stack.database.db, 'decay', syntheticTexts(400, labels, 1));
    const first = await runCli(['retrain', '--model', 'decay', '--wait', '--json', '--buckets', '2048'], env);
    expect((JSON.parse(first.stdout) as RunResult).outcome).toBe('PROMOTED');

    const policy = await runCli(
      [
        'monitor',
        'policy',
        '--model',
        'decay',
        '--min-labelled',
        '50',
        '--cooldown',
        '1h',
        '--every',
        '1h',
        '--reason',
        'watch it',
        '--json',
      ],
      env,
    );
    expect(policy.code, policy.stderr).toBe(0);
    expect(JSON.parse(policy.stdout)).toMatchObject({
      version: 1,
      schedule: 'created',
      scheduleId: 'monitor-decay',
      policy: { minLabelled: 50, cooldown: '1h' },
    });

    // Healthy first: 60 predictions, all confirmed.
    await serve(
      'decay',
      syntheticTexts(60, ['on'], 2).map((r) => r.text),
      { feedback: true, wrongShare: 0 },
    );
    expect(await monitorRun('decay')).toMatchObject({
      trigger: null,
      action: 'none',
      reason: expect.stringMatching(/^healthy: live accuracy 1\.0000 on 60 labelled/),
    });

    // Then decay: 100 more, 70 of them wrong: live accuracy (30 + 60) / 160.
    await serve(
      'decay',
      syntheticTexts(100, ['on'], 3).map((r) => r.text),
      { feedback: true, wrongShare: 0.7 },
    );
    const decayed = await monitorRun('decay');
    expect(decayed).toMatchObject({ trigger: 'decay', action: 'retrain-started', version: 1 });
    expect(decayed.reason).toMatch(/decay: live accuracy 0\.5625 < 0\.8 on 160 labelled predictions/);
    const run = stack.client.workflow.getHandle<typeof retrainModel>(decayed.retrainWorkflowId!);
    const result = await run.result();
    expect(result.trigger).toBe('decay');
    const details = await run.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(details.currentDetails).toMatch(/Started by the monitor: decay: decay: live accuracy 0\.5625/);
    const listed = JSON.parse((await runCli(['runs', 'list', '--model', 'decay', '--json'], env)).stdout) as {
      runs: Array<{ workflowId: string; trigger: string }>;
    };
    expect(listed.runs.find((r) => r.workflowId === decayed.retrainWorkflowId)?.trigger).toBe('decay');

    const again = await monitorRun('decay');
    expect(again).toMatchObject({ trigger: 'decay', action: 'cooldown', retrainWorkflowId: null });
    const events = JSON.parse((await runCli(['monitor', 'events', '--model', 'decay', '--json'], env)).stdout) as {
      events: Array<{ action: string; trigger: string | null; retrainWorkflowId: string | null }>;
    };
    expect(events.events.map((e) => e.action)).toEqual(['cooldown', 'retrain-started', 'none']);
    expect(events.events.filter((e) => e.action === 'retrain-started')).toHaveLength(1);
    const text = await runCli(['monitor', 'events', '--model', 'decay'], env);
    expect(text.stdout).toMatch(/^TIME\s+VERSION\s+TRIGGER\s+ACTION\s+RUN\s+REASON\n/);

    // The webhook got the decay message; the failing one was tried and recorded, and nothing failed.
    const decayMessage = await waitFor('the decay webhook', async () => received.find((m) => m.event === 'decay' && m.model === 'decay'));
    expect(decayMessage.text).toMatch(/^\[nightshift\] decay: decay: live accuracy 0\.5625/);
    expect(decayMessage.text).toMatch(new RegExp(`started ${decayed.retrainWorkflowId}`));
  });

  it('drift alone starts a run when the policy says so', async () => {
    await importRows(stack.database.db, 'drift', syntheticTexts(400, labels, 4));
    expect((await runCli(['retrain', '--model', 'drift', '--wait', '--buckets', '2048'], env)).code).toBe(0);
    const policy = await runCli(
      ['monitor', 'policy', '--model', 'drift', '--max-drift', '0.05', '--min-served', '50', '--reason', 'drift test'],
      env,
    );
    expect(policy.code, policy.stderr).toBe(0);
    // Served texts from another vocabulary entirely; no feedback at all.
    const alien = Array.from({ length: 80 }, (_, i) => `zebra quokka axolotl ${i} narwhal pangolin capybara okapi tapir`);
    await serve('drift', alien, { feedback: false, wrongShare: 0 });
    const drifted = await monitorRun('drift');
    expect(drifted).toMatchObject({ trigger: 'drift', action: 'retrain-started' });
    expect(drifted.reason).toMatch(/input drift: token JS divergence \d\.\d{4} > 0\.05/);
    const result = await stack.client.workflow.getHandle<typeof retrainModel>(drifted.retrainWorkflowId!).result();
    expect(result.trigger).toBe('drift');
  });

  it('refuses bad policy input with usage errors and changes nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['monitor', 'policy', '--model', 'drift', '--min-accuracy', '2', '--reason', 'x'], /minAccuracy must be in \[0, 1\]/],
      [['monitor', 'policy', '--model', 'drift', '--every', 'soon', '--reason', 'x'], /--every must be a duration/],
      [['monitor', 'policy', '--model', 'drift', '--every', '10s', '--reason', 'x'], /--every must be between 1m and 365 days/],
      [['monitor', 'policy', '--model', 'drift', '--min-labelled', '0.5', '--reason', 'x'], /minLabelled must be an integer >= 1/],
      [['monitor', 'policy', '--model', 'drift', '--max-drift', '0.1'], /needs --reason/],
      [['notify', 'add', '--url', 'ftp://x'], /--url must be an http\(s\) URL/],
      [
        ['notify', 'add', '--url', 'http://127.0.0.1:1/x', '--events', 'promoted,decayed'],
        /unknown event "decayed" \(did you mean decay\?\)/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const shown = JSON.parse((await runCli(['monitor', 'policy', '--model', 'drift', '--json'], env)).stdout);
    expect(shown).toMatchObject({ version: 1, policy: { maxDrift: 0.05, minAccuracy: 0.8 } });
  });
});

describe('notifications', () => {
  it('each kind of run event reaches the webhook, with the approve command for approvals and the cause for failures; a failing receiver fails nothing', async () => {
    await importRows(stack.database.db, 'hooks', syntheticTexts(300, labels, 5));
    const started = await runCli(['retrain', '--model', 'hooks', '--require-approval', '--json', '--buckets', '2048'], env);
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
    const asked = await waitFor(
      'the approval webhook',
      async () => received.find((m) => m.event === 'approval' && m.workflowId === workflowId),
      60_000,
    );
    expect(asked.command).toBe(`nightshift approve ${workflowId} --reason TEXT   (or: nightshift reject ${workflowId} --reason TEXT)`);
    expect(asked.text).toMatch(/candidate v1 waits for approval/);
    expect((await runCli(['approve', workflowId, '--reason', 'looks good'], env)).code).toBe(0);
    await waitFor('the promoted webhook', async () => received.find((m) => m.event === 'promoted' && m.workflowId === workflowId), 60_000);

    const failed = await runCli(['retrain', '--model', 'hooks', '--force', '--wait', '--learning-rate', '1e6', '--buckets', '2048'], env);
    expect(failed.code).toBe(1);
    const failure = await waitFor(
      'the failed webhook',
      async () => received.find((m) => m.event === 'failed' && m.model === 'hooks'),
      60_000,
    );
    expect(failure.text).toMatch(/run failed during training: TrainingDiverged in trainCandidate/);

    const forced = JSON.parse(
      (await runCli(['retrain', '--model', 'hooks', '--force', '--wait', '--json', '--buckets', '2048'], env)).stdout,
    ) as RunResult;
    expect(forced.outcome).toBe('REJECTED');
    await waitFor(
      'the rejected webhook',
      async () => received.find((m) => m.event === 'rejected' && m.workflowId === forced.workflowId),
      60_000,
    );

    // The failing receiver was tried (with retries) and every attempt recorded; the runs above all ended.
    expect(badHits).toBeGreaterThan(0);
    const deliveries = JSON.parse((await runCli(['notify', 'list', '--deliveries', '200', '--json'], env)).stdout) as {
      deliveries: Array<{ url: string; status: string; error: string | null }>;
    };
    const failedDeliveries = deliveries.deliveries.filter((d) => d.url === urlOf(bad));
    expect(failedDeliveries.length).toBeGreaterThan(0);
    expect(failedDeliveries.every((d) => d.status === 'failed' && d.error === 'HTTP 500')).toBe(true);
    const test = await runCli(['notify', 'test', '--event', 'promoted'], env);
    expect(test.code).toBe(1);
    expect(test.stdout).toMatch(/1 delivered, 1 failed/);
  });
});
