import { SEARCH_ATTRIBUTES } from '../../workflows/definitions.ts';
/**
 * Encrypted payloads end to end, with every part a real process: a dev server started with
 * `--ui-codec-endpoint`, a worker process, the CLI and the model server (`nightshift serve`, whose
 * /codec endpoint the Web UI calls from headless Chromium), all given NIGHTSHIFT_ENCRYPTION_KEY_FILE.
 * Temporal's history holds only `binary/encrypted` payloads (search attributes stay readable),
 * failure messages included; the CLI and the UI still show the decision; a rotated key file
 * (new first key, old key kept) still reads old runs, and one without the old key says so.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../stack/temporal-server.ts';
import { freePort } from '../../stack/ports.ts';
import { temporalDataConverter } from '../../stack/temporal-connection.ts';
import { ENCRYPTED_ENCODING } from '../../stack/payload-codec.ts';
import { tempDir } from '../support/dirs.ts';
import { startTestStack, type TestStack } from '../support/services.ts';
import { importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { allFramesText } from '../support/browser.ts';
import { runCli, spawnCli, type CliProcess } from '../support/cli.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';
import { waitFor } from '../support/wait.ts';
import type { RunResult } from '../../workflows/definitions.ts';

let dir: string;
let server: DevServer;
let stack: TestStack;
let worker: WorkerProcess;
let modelServer: CliProcess;
let browser: Browser | null = null;
let servePort: number;
const key = (): string => randomBytes(32).toString('base64');
const oldKey = key();
const keyFiles = { current: '', rotated: '', newOnly: '' };
let run: { workflowId: string; runId: string };

const env = (keyFile: string): NodeJS.ProcessEnv => ({
  TEMPORAL_ADDRESS: server.address,
  DATABASE_URL: stack.database.url,
  NIGHTSHIFT_TASK_QUEUE: stack.taskQueue,
  NIGHTSHIFT_HOME: path.join(dir, 'home'),
  NIGHTSHIFT_ENCRYPTION_KEY_FILE: keyFile,
});

interface FoundPayload {
  where: string;
  metadata: Record<string, Uint8Array>;
  data: Uint8Array;
}

/** Every payload in a history (objects with metadata and data), with the path it was found at. */
function payloadsIn(value: unknown, where = '', out: FoundPayload[] = []): FoundPayload[] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return out;
  const o = value as Record<string, unknown>;
  if (o.metadata && typeof o.metadata === 'object' && 'encoding' in (o.metadata as object)) {
    out.push({ where, metadata: o.metadata as Record<string, Uint8Array>, data: (o.data as Uint8Array) ?? new Uint8Array() });
    return out;
  }
  for (const [k, v] of Object.entries(o)) payloadsIn(v, `${where}.${k}`, out);
  return out;
}

const text = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('utf8');

beforeAll(async () => {
  dir = tempDir(path.join(inject('stateDir'), 'encryption-'));
  keyFiles.current = path.join(dir, 'keys-1');
  keyFiles.rotated = path.join(dir, 'keys-2');
  keyFiles.newOnly = path.join(dir, 'keys-3');
  const newKey = key();
  writeFileSync(keyFiles.current, `# the first key encrypts\nk1:${oldKey}\n`, { mode: 0o600 });
  writeFileSync(keyFiles.rotated, `k2:${newKey}\nk1:${oldKey}\n`, { mode: 0o600 });
  writeFileSync(keyFiles.newOnly, `k2:${newKey}\n`, { mode: 0o600 });
  servePort = await freePort();
  const uiPort = await freePort();
  server = await startDevServer({
    searchAttributes: SEARCH_ATTRIBUTES,
    cli: inject('temporalCli'),
    home: path.join(dir, 'temporal'),
    port: await freePort(),
    uiPort,
    namespace: 'default',
    uiCodecEndpoint: `http://127.0.0.1:${servePort}/codec`,
  });
  stack = await startTestStack({ temporalAddress: server.address, inProcessWorker: false });
  await importRows(stack.database.db, 'enc', syntheticTexts(300, ['up', 'down'], 3));
  worker = await startWorkerProcess({
    temporalAddress: server.address,
    databaseUrl: stack.database.url,
    taskQueue: stack.taskQueue,
    home: path.join(dir, 'home'),
    env: { NIGHTSHIFT_ENCRYPTION_KEY_FILE: keyFiles.current },
  });
  modelServer = spawnCli(['serve', '--port', String(servePort)], { ...env(keyFiles.current), NIGHTSHIFT_UI_PORT: String(uiPort) });
  await waitFor('the model server', async () =>
    (await fetch(`http://127.0.0.1:${servePort}/health`).catch(() => null))?.ok ? true : undefined,
  );
});

afterAll(async () => {
  await browser?.close();
  modelServer?.kill('SIGTERM');
  await modelServer?.done;
  worker?.kill('SIGTERM');
  await worker?.exited;
  await stack?.stop();
  await server?.stop();
});

describe('encrypted payloads', () => {
  it('a run through the CLI is PROMOTED and its history holds only encrypted payloads', async () => {
    const r = await runCli(['retrain', '--model', 'enc', '--wait', '--json', '--buckets', '1024', '--epochs', '3'], env(keyFiles.current));
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as RunResult).outcome).toBe('PROMOTED');
    const listed = await runCli(['runs', 'list', '--model', 'enc', '--json'], env(keyFiles.current));
    const [first] = (JSON.parse(listed.stdout) as { runs: Array<{ workflowId: string; runId: string }> }).runs;
    run = { workflowId: first.workflowId, runId: first.runId };

    // A client without the codec sees what Temporal stores.
    const history = await stack.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const payloads = payloadsIn(history);
    const searchAttributes = payloads.filter((p) => /searchAttributes/i.test(p.where));
    // The SDK writes patch markers (the patch's id, from the workflow's code) itself, unencoded.
    const others = payloads.filter((p) => !/searchAttributes|\.patch-data\./i.test(p.where));
    expect(others.length).toBeGreaterThan(10);
    for (const p of others) {
      expect(text(p.metadata.encoding), p.where).toBe(ENCRYPTED_ENCODING);
      expect(text(p.metadata['encryption-key-id']), p.where).toBe('k1');
      for (const plain of ['PROMOTED', '"model"', 'accuracy', 'enc (manual)']) expect(text(p.data), p.where).not.toContain(plain);
    }
    // Search attributes are not payloads of the codec: filters in the UI keep working.
    expect(searchAttributes.map((p) => text(p.data))).toContain('"enc"');
    expect(searchAttributes.map((p) => text(p.data))).toContain('"PROMOTED"');
  });

  it('failure messages are encrypted too (encodeCommonAttributes)', async () => {
    const client = new Client({
      connection: stack.client.connection,
      namespace: 'default',
      dataConverter: temporalDataConverter({ NIGHTSHIFT_ENCRYPTION_KEY_FILE: keyFiles.current }),
    });
    const handle = await client.workflow.start('retrainModel', {
      taskQueue: stack.taskQueue,
      workflowId: `enc-failure-${Date.now()}`,
      args: [{ model: 'no-such-model-enc', trigger: 'manual' }],
    });
    const failure = await handle.result().then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    // Decoded with the key, the cause chain says what went wrong ...
    const messages: string[] = [];
    for (let e: Error | undefined = failure as Error; e; e = (e as { cause?: Error }).cause) messages.push(e.message);
    expect(messages.join(' / ')).toMatch(/no-such-model-enc/);
    // ... while the history holds "Encoded failure" and an encrypted attributes payload.
    const history = await stack.client.workflow.getHandle(handle.workflowId).fetchHistory();
    const failed = history.events?.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes;
    expect(failed?.failure?.message).toBe('Encoded failure');
    expect(text(failed?.failure?.encodedAttributes?.metadata?.encoding ?? undefined)).toBe(ENCRYPTED_ENCODING);
    // Every failure message in the history, causes included, is the placeholder.
    const failureMessages = JSON.stringify(history).match(/"message":"[^"]*"/g) ?? [];
    expect(failureMessages.length).toBeGreaterThanOrEqual(3);
    expect(new Set(failureMessages)).toEqual(new Set(['"message":"Encoded failure"']));
  });

  it('runs show decodes the decision; a rotated key file still reads it; one without the old key names it', async () => {
    for (const keys of [keyFiles.current, keyFiles.rotated]) {
      const shown = await runCli(['runs', 'show', run.workflowId, '--json'], env(keys));
      expect(shown.code, shown.stderr).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'COMPLETED', result: { outcome: 'PROMOTED' } });
    }
    const missing = await runCli(['runs', 'show', run.workflowId, '--json'], env(keyFiles.newOnly));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/encrypted with key "k1", which is not in NIGHTSHIFT_ENCRYPTION_KEY_FILE/);
  });

  it('the codec endpoint answers the Web UI preflight and decodes; the UI in Chromium shows decoded payloads', async () => {
    const origin = new URL(server.uiUrl).origin;
    const preflight = await fetch(`http://127.0.0.1:${servePort}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/x-namespace/);

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const decodes: number[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/codec/decode') && response.request().method() === 'POST') decodes.push(response.status());
    });
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${run.workflowId}/${run.runId}/history`, { waitUntil: 'networkidle' });
    const allText = (): Promise<string> => allFramesText(page);
    // The summary ("Retrain enc (manual)") is a payload: only the codec endpoint can show it.
    await expect.poll(allText, { timeout: 30_000 }).toContain('Retrain enc (manual)');
    expect(decodes.length).toBeGreaterThan(0);
    expect(decodes.every((s) => s === 200)).toBe(true);
  });
});
