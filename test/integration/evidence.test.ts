/**
 * What a decision rests on: a run with too few new held-out rows is REJECTED saying so (20
 * flipped labels once promoted a version on "accuracy 1.0 vs 0.0" over 4 rows); `--force` then
 * evaluates on every held-out row to date; a DATA_INVALID run tells the webhooks like any outcome.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/services.ts';
import { importRows, runRetrain } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { waitFor } from '../support/wait.ts';
import { addTarget } from '../../registry/notifications.ts';

let stack: TestStack;
let hook: Server;
const received: Array<{ event: string; model: string; text: string; details: Record<string, unknown> }> = [];
const labels = ['on', 'off'];
const flipped = (rows: Array<{ text: string; label: string }>) =>
  rows.map((r) => ({ text: r.text, label: r.label === 'on' ? 'off' : 'on' }));

beforeAll(async () => {
  stack = await startTestStack();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as (typeof received)[number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  await addTarget(stack.database.db, `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, ['failed'], 'test');
});
afterAll(async () => {
  hook?.close();
  await stack?.stop();
});

describe.sequential('the evidence behind a decision', () => {
  it('too few new held-out rows: REJECTED, saying how many there were and how many the policy needs', async () => {
    await importRows(stack.database.db, 'few', syntheticTexts(400, labels, 11));
    expect((await runRetrain(stack.client, stack.taskQueue, { model: 'few', hyperparameters: { buckets: 2048 } })).result.outcome).toBe(
      'PROMOTED',
    );
    await importRows(stack.database.db, 'few', flipped(syntheticTexts(20, labels, 12)));
    const { result } = await runRetrain(stack.client, stack.taskQueue, { model: 'few', hyperparameters: { buckets: 2048 } });
    expect(result.snapshot!.evalRows).toBeLessThan(30);
    expect(result.outcome).toBe('REJECTED');
    expect(result.reason).toMatch(/too few evaluation rows to decide: \d+ held-out rows, the policy needs at least 30/);
    expect(result.decision!.checks[0]).toMatchObject({ kind: 'min-rows', pass: false, threshold: 30 });
  });

  it('--force with too few new held-out rows evaluates on every held-out row to date', async () => {
    await importRows(stack.database.db, 'few', flipped(syntheticTexts(20, labels, 13)));
    const { result } = await runRetrain(stack.client, stack.taskQueue, { model: 'few', force: true, hyperparameters: { buckets: 2048 } });
    expect(result.snapshot).toMatchObject({ allRowsToDate: true, newRows: 20 });
    expect(result.snapshot!.evalRows).toBeGreaterThanOrEqual(30);
    expect(result.decision!.checks[0]).toMatchObject({ kind: 'min-rows', pass: true });
  });

  it('a DATA_INVALID run notifies the webhooks of failures, with its issues', async () => {
    await importRows(stack.database.db, 'single', syntheticTexts(50, ['only'], 14));
    const { workflowId, result } = await runRetrain(stack.client, stack.taskQueue, { model: 'single' });
    expect(result.outcome).toBe('DATA_INVALID');
    const message = await waitFor('the DATA_INVALID webhook', async () => received.find((m) => m.model === 'single'), 60_000);
    expect(message.event).toBe('failed');
    expect(message.text).toMatch(/DATA_INVALID .*1 distinct label/);
    expect(message.details).toMatchObject({ outcome: 'DATA_INVALID' });
    expect(workflowId).toBeTruthy();
  });
});
