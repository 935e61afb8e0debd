/**
 * The model server as a client meets it: listening on a port, on the real PostgreSQL and the real
 * Temporal dev server. Hot reload while requests flow (NOTIFY only: the poll is turned down),
 * reconnection of the LISTEN connection, 503 until a first promotion, the feedback loop into the
 * next retraining run, and the token rule off loopback.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestStack, type TestStack } from '../support/services.ts';
import { promoteVersion, trainVersion } from '../support/serving.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { importRows, runRetrain } from '../support/runs.ts';
import { waitFor } from '../support/wait.ts';
import { createModelServer, startModelServer, type ModelServer } from '../../serve/server.ts';
import { ServeOptionsError } from '../../serve/options.ts';
import { promoteByHand } from '../../registry/promotions.ts';
import { monitorReport } from '../../registry/live-metrics.ts';
import { monitor } from '../../client/commands/monitor.ts';
import { loadConfig } from '../../stack/config.ts';

let stack: TestStack;
let server: ModelServer;
const logLines: string[] = [];
const db = () => stack.database.db;

beforeAll(async () => {
  stack = await startTestStack();
  server = await createModelServer({
    db: db(),
    databaseUrl: stack.database.url,
    // A poll slower than any test here: reloads must come from NOTIFY (or the reconnect's refresh).
    options: { port: 0, pollMs: 600_000, logFlushMs: 50 },
    log: (l) => logLines.push(l),
  });
  await server.listen();
});
afterAll(async () => {
  await server?.close();
  await stack?.stop();
});

interface MlflowReply {
  predictions: Array<{ label: string; probabilities: Record<string, number>; prediction_id: string }>;
  model_version: string;
}

async function invoke(model: string, texts: string[]): Promise<{ status: number; body: MlflowReply & { message?: string } }> {
  const res = await fetch(`${server.url}/models/${model}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: texts }),
  });
  return { status: res.status, body: (await res.json()) as MlflowReply & { message?: string } };
}

describe('hot reload', () => {
  it('a promotion is served while requests flow: every response 2xx, naming the old or the new version', async () => {
    const rows = syntheticTexts(200, ['a', 'b'], 3);
    const v1 = await trainVersion(db(), 'hot', rows, { seed: 1 });
    await promoteVersion(db(), v1.modelId, v1.versionId);
    await waitFor('v1 served', async () => ((await invoke('hot', ['x'])).body.model_version === String(v1.version) ? true : undefined));
    const v2 = await trainVersion(db(), 'hot', rows, { seed: 2, epochs: 3 });

    const seen: Array<{ status: number; version: string }> = [];
    let stop = false;
    const clients = Array.from({ length: 4 }, async (_, c) => {
      while (!stop) {
        const r = await invoke('hot', [rows[(seen.length + c) % rows.length].text, 'aword1 bword2']);
        seen.push({ status: r.status, version: r.body.model_version });
      }
    });
    await waitFor('requests flowing', async () => (seen.length >= 20 ? true : undefined));
    await promoteVersion(db(), v2.modelId, v2.versionId);
    await waitFor('v2 answering', async () => (seen.some((s) => s.version === String(v2.version)) ? true : undefined));
    const afterSwap = seen.length;
    await waitFor('more requests after the swap', async () => (seen.length >= afterSwap + 20 ? true : undefined));
    stop = true;
    await Promise.all(clients);

    expect(seen.filter((s) => s.status !== 200)).toEqual([]);
    expect(new Set(seen.map((s) => s.version))).toEqual(new Set([String(v1.version), String(v2.version)]));
    expect(seen.slice(-10).every((s) => s.version === String(v2.version))).toBe(true);
    expect(logLines.some((l) => l.includes(`model hot: now serving v${v2.version} (was v${v1.version})`))).toBe(true);

    // A rollback (the manual path, promoteByHand) is served the same way.
    await promoteByHand(db(), {
      modelId: v1.modelId,
      version: null,
      kind: 'rollback',
      reason: 'test',
      actor: 'test',
      workflowId: 'rb-hot',
      runId: 'rb-hot',
    });
    await waitFor('rollback served', async () =>
      (await invoke('hot', ['x'])).body.model_version === String(v1.version) ? true : undefined,
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/nightshift_model_loads_total\{model="hot",version="\d+",kind="reload"\} 1/);
  });

  it('the LISTEN connection comes back after PostgreSQL drops it, and the next promotion is served', async () => {
    const rows = syntheticTexts(200, ['a', 'b'], 4);
    const v1 = await trainVersion(db(), 'relisten', rows, { seed: 1 });
    await promoteVersion(db(), v1.modelId, v1.versionId);
    await waitFor('v1 served', async () => ((await invoke('relisten', ['x'])).status === 200 ? true : undefined));
    const killed = await db().query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN nightshift_production%'`,
    );
    expect(killed.rowCount).toBeGreaterThan(0);
    await waitFor('listener reconnected', async () =>
      logLines.some((l) => l.includes('promotion listener: connected again')) ? true : undefined,
    );
    const v2 = await trainVersion(db(), 'relisten', rows, { seed: 5 });
    await promoteVersion(db(), v2.modelId, v2.versionId);
    await waitFor('v2 served', async () =>
      (await invoke('relisten', ['x'])).body.model_version === String(v2.version) ? true : undefined,
    );
  });

  it('a model without a production version answers 503, and is served once one is promoted', async () => {
    const rows = syntheticTexts(100, ['a', 'b'], 5);
    await importRows(db(), 'late', rows);
    // The new model is found by the next refresh (here: the notification of an unrelated promotion is not needed; a poll would do).
    await server.store.refresh();
    const before = await invoke('late', ['x']);
    expect(before.status).toBe(503);
    expect(before.body.message).toMatch(/no production version yet/);
    const v1 = await trainVersion(db(), 'late', rows);
    await promoteVersion(db(), v1.modelId, v1.versionId);
    await waitFor('late served', async () => ((await invoke('late', ['x'])).status === 200 ? true : undefined));
  });
});

describe('feedback closes the loop', () => {
  it('feedback -> live metrics -> examples that the next retraining run uses', async () => {
    const labels = ['spam', 'ham'];
    await importRows(db(), 'loop', syntheticTexts(400, labels, 11));
    const first = await runRetrain(stack.client, stack.taskQueue, { model: 'loop', hyperparameters: { buckets: 2048 } });
    expect(first.result.outcome).toBe('PROMOTED');
    await waitFor('loop served', async () => ((await invoke('loop', ['x'])).status === 200 ? true : undefined));
    const served = (await invoke('loop', ['x'])).body.model_version;

    const fresh = syntheticTexts(60, labels, 999).map((r, i) => ({ ...r, text: `${r.text} fresh${i}` }));
    const reply = await invoke(
      'loop',
      fresh.map((r) => r.text),
    );
    expect(reply.status).toBe(200);
    const ids = reply.body.predictions.map((p) => p.prediction_id);
    const res = await fetch(`${server.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'loop', feedback: fresh.map((r, i) => ({ prediction_id: ids[i], label: r.label })) }),
    });
    expect(res.status).toBe(200);
    const fb = (await res.json()) as { counts: Record<string, number> };
    expect(fb.counts.recorded).toBe(60);

    // Live metrics: the offline definition of accuracy over what feedback said.
    const correct = reply.body.predictions.filter((p, i) => p.label === fresh[i].label).length;
    const report = await monitorReport(db(), 'loop');
    expect(report.current).toMatchObject({ version: Number(served), labelled: 60, accuracy: correct / 60 });
    expect(report.current.predictions).toBe(62);
    expect(report.windows.length).toBeGreaterThanOrEqual(1);
    expect(report.windows.at(-1)).toMatchObject({ version: Number(served), labelled: 60 });
    const viaHttp = (await (await fetch(`${server.url}/v1/models/loop/monitor`)).json()) as { current: unknown };
    expect(viaHttp.current).toEqual(JSON.parse(JSON.stringify(report.current)));

    // `nightshift monitor show --json` prints the same document.
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const code = await monitor(['show', '--model', 'loop', '--json'], { ...loadConfig({}), databaseUrl: stack.database.url });
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const printed = JSON.parse(out.join('')) as { model: string; current: Record<string, unknown>; windows: unknown[] };
    expect(printed.model).toBe('loop');
    expect(Object.keys(printed.current)).toEqual(
      expect.arrayContaining(['version', 'predictions', 'labelled', 'accuracy', 'precision', 'recall', 'f1']),
    );
    expect(printed.current.labelled).toBe(60);

    // The labelled predictions are examples now, and the next run reads them.
    const examples = await db().query<{ n: string; max: string }>(
      `SELECT count(*) AS n, max(e.id) AS max FROM examples e JOIN models m ON m.id = e.model_id WHERE m.name = 'loop' AND e.source = 'feedback'`,
    );
    expect(Number(examples.rows[0].n)).toBe(60);
    const second = await runRetrain(stack.client, stack.taskQueue, { model: 'loop', hyperparameters: { buckets: 2048 } });
    expect(second.result.snapshot?.newRows).toBe(60);
    const snapshot = await db().query<{ to_example_id: string }>('SELECT to_example_id FROM dataset_snapshots WHERE workflow_id = $1', [
      second.workflowId,
    ]);
    expect(Number(snapshot.rows[0].to_example_id)).toBeGreaterThanOrEqual(Number(examples.rows[0].max));
  });
});

describe('security', () => {
  it('refuses to bind a non-loopback address without a token', async () => {
    await expect(
      startModelServer({ db: db(), databaseUrl: stack.database.url, host: '0.0.0.0', port: 0, log: () => undefined }),
    ).rejects.toBeInstanceOf(ServeOptionsError);
  });

  it('off loopback with a token: feedback needs the bearer token; predictions too unless --public-predictions', async () => {
    const token = 'a-long-enough-test-token';
    const open = await startModelServer({
      db: db(),
      databaseUrl: stack.database.url,
      config: { serveHost: '0.0.0.0', servePort: 0, serveToken: token },
      log: () => undefined,
      options: { model: 'hot', publicPredictions: true },
    });
    const locked = await startModelServer({
      db: db(),
      databaseUrl: stack.database.url,
      config: { serveHost: '0.0.0.0', servePort: 0, serveToken: token },
      log: () => undefined,
      options: { requireTokenForPredictions: true, model: 'hot' },
    });
    try {
      const local = (url: string) => url.replace('0.0.0.0', '127.0.0.1');
      const post = (url: string, path: string, body: unknown, auth?: string) =>
        fetch(`${local(url)}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
          body: JSON.stringify(body),
        });
      const feedback = { model: 'hot', feedback: [{ prediction_id: '00000000-0000-4000-8000-000000000000', label: 'a' }] };
      // --model hot: the root /invocations serves it.
      expect((await post(open.url, '/invocations', { inputs: ['x'] })).status).toBe(200);
      const denied = await post(open.url, '/v1/feedback', feedback);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Bearer');
      expect((await post(open.url, '/v1/feedback', feedback, 'wrong-token-of-some-length')).status).toBe(401);
      expect((await post(open.url, '/v1/feedback', feedback, token)).status).toBe(200);
      expect((await post(locked.url, '/invocations', { inputs: ['x'] })).status).toBe(401);
      expect(
        (await post(locked.url, '/v2/models/hot/infer', { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['x'] }] })).status,
      ).toBe(401);
      expect((await post(locked.url, '/invocations', { inputs: ['x'] }, token)).status).toBe(200);
    } finally {
      await open.close();
      await locked.close();
    }
  });
});
