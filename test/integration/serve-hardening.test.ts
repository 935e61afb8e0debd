/**
 * What no client can do to the model server (issue 20), on a real PostgreSQL: a text PostgreSQL
 * cannot store never blocks the prediction log, a log that does not drain shows in /health, the
 * token is checked before the body is read, a trickled body cannot hold a connection or the
 * shutdown, a foreign Host header is refused, off loopback predictions need the token, logged
 * texts are capped (and a cut one never becomes a training example), the monitor's read is
 * bounded in bytes, and feedback's labels and examples commit together.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawnCli } from '../support/cli.ts';
import { tempDir } from '../support/dirs.ts';
import { createTestDatabase, type TestDatabase } from '../support/services.ts';
import { promoteVersion, trainVersion, type TrainedVersion } from '../support/serving.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from '../../stack/ports.ts';
import { createModelServer, type ModelServer } from '../../serve/server.ts';
import type { ServeOptions } from '../../serve/options.ts';
import { countExamples } from '../../registry/examples.ts';
import { getPredictions, MAX_LOGGED_TEXT_BYTES } from '../../registry/predictions.ts';
import { servedTexts } from '../../registry/monitoring.ts';

let database: TestDatabase;
let red: TrainedVersion;
const TOKEN = 'hardening-token-0123456789';
const rows = syntheticTexts(200, ['red', 'green'], 5);
const INVOKE = '/models/colors/invocations';
const servers: ModelServer[] = [];
const db = () => database.db;

beforeAll(async () => {
  database = await createTestDatabase();
  red = await trainVersion(db(), 'colors', rows);
  await promoteVersion(db(), red.modelId, red.versionId);
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await database?.drop();
});

async function serverWith(options: Partial<ServeOptions> = {}): Promise<ModelServer> {
  const s = await createModelServer({
    db: db(),
    databaseUrl: database.url,
    options: { port: 0, logFlushMs: 50, ...options },
    log: () => undefined,
  });
  servers.push(s);
  return s;
}

const predictOne = async (s: ModelServer, text: string, headers: Record<string, string> = {}) => {
  const res = await s.app.inject({ method: 'POST', url: INVOKE, payload: { inputs: [text] }, headers });
  return { status: res.statusCode, body: res.json<{ predictions?: Array<{ prediction_id: string; label: string }>; message?: string }>() };
};

describe('the prediction log', () => {
  it('refuses a text with a NUL character at the door (400), and the log goes on', async () => {
    const s = await serverWith();
    const bad = await predictOne(s, 'nul \u0000 inside');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/NUL character/);
    const good = await predictOne(s, rows[0].text);
    expect(good.status).toBe(200);
    const id = good.body.predictions![0].prediction_id;
    await waitFor('the good prediction logged', async () => (await getPredictions(db(), [id])).get(id), 10_000);
  });

  it('a row the database refuses is dropped alone: the rest of its batch lands, later batches too, and /health stays 200', async () => {
    const s = await serverWith({ logBatchRows: 50, logStallMs: 2000 });
    const ids: string[] = [];
    const push = (text: string) => {
      const id = randomUUID();
      const ok = s.predictionLog.push({
        id,
        modelId: red.modelId,
        versionId: red.versionId,
        version: red.version,
        createdAt: new Date(),
        text,
        label: 'red',
        probabilities: { red: 0.6, green: 0.4 },
        latencyMs: 1,
      });
      expect(ok).toBe(true);
      return id;
    };
    // Past the door (another body format, a bug): a NUL text in the middle of a batch of 40.
    for (let i = 0; i < 20; i++) ids.push(push(`good before ${i}`));
    const badId = push('bad \u0000 text');
    for (let i = 0; i < 19; i++) ids.push(push(`good after ${i}`));
    await s.predictionLog.flush(10_000);
    const stored = await getPredictions(db(), [...ids, badId]);
    expect(ids.filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.has(badId)).toBe(false);
    expect(s.predictionLog.stats()).toMatchObject({ refused: 1, buffered: 0 });
    // The log still writes what comes next, and feedback finds it.
    const next = await predictOne(s, rows[1].text);
    const nextId = next.body.predictions![0].prediction_id;
    const fb = await s.app.inject({
      method: 'POST',
      url: '/v1/feedback',
      payload: { model: 'colors', feedback: [{ prediction_id: nextId, label: 'green' }] },
    });
    expect(fb.json<{ results: Array<{ status: string }> }>().results[0].status).toBe('recorded');
    expect((await s.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('/health answers 503 naming the log when writes keep failing, and 200 once it drains again', async () => {
    const s = await serverWith({ logStallMs: 500 });
    // Every INSERT into predictions fails as a full disk would (not a row's fault): nothing drains.
    await db().query(`CREATE FUNCTION hardening_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END $$`);
    await db().query('CREATE TRIGGER hardening_disk_full BEFORE INSERT ON predictions FOR EACH ROW EXECUTE FUNCTION hardening_disk_full()');
    try {
      expect((await predictOne(s, rows[2].text)).status).toBe(200);
      const res = await waitFor(
        '/health 503',
        async () => {
          const r = await s.app.inject({ method: 'GET', url: '/health' });
          return r.statusCode === 503 ? r : undefined;
        },
        15_000,
        100,
      );
      expect(res.json<{ message: string }>().message).toMatch(
        /prediction log is not draining: 1 predictions waiting.*could not extend file/,
      );
      // Liveness is not the log's business.
      expect((await s.app.inject({ method: 'GET', url: '/ping' })).statusCode).toBe(200);
    } finally {
      await db().query('DROP TRIGGER hardening_disk_full ON predictions');
      await db().query('DROP FUNCTION hardening_disk_full()');
    }
    await waitFor(
      '/health 200',
      async () => ((await s.app.inject({ method: 'GET', url: '/health' })).statusCode === 200 ? true : undefined),
      15_000,
    );
  });
});

describe('the token comes before the body', () => {
  it('a request without the token is refused (401) without its body being parsed', async () => {
    const s = await serverWith({ token: TOKEN, requireTokenForPredictions: true });
    for (const url of [INVOKE, '/v1/feedback']) {
      // Not JSON at all: a parsed body would be a 400.
      const res = await s.app.inject({ method: 'POST', url, payload: '{"inputs": [', headers: { 'content-type': 'application/json' } });
      expect(res.statusCode, url).toBe(401);
    }
    const deep = '['.repeat(3_000_000) + ']'.repeat(3_000_000);
    const res = await s.app.inject({ method: 'POST', url: INVOKE, payload: deep, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(401);
  });

  it('a body nested deeper than 64 levels is refused with 400 before it is built', async () => {
    const s = await serverWith();
    const deep = `{"inputs": ["x"], "params": ${'['.repeat(3_000_000)}${']'.repeat(3_000_000)}}`;
    const started = performance.now();
    const res = await s.app.inject({ method: 'POST', url: INVOKE, payload: deep, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/deeper than 64 levels/);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

/** Opens a connection that sends headers and then one byte of its body every `everyMs`. */
function trickle(url: string, everyMs: number): { connected: Promise<void>; closed: Promise<number>; stop(): void } {
  const u = new URL(url);
  const started = Date.now();
  const socket = net.connect(Number(u.port), u.hostname);
  socket.on('error', () => undefined);
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`POST ${INVOKE} HTTP/1.1\r\nHost: 127.0.0.1:${u.port}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`);
  const timer = setInterval(() => socket.write(' '), everyMs);
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    }),
  );
  return { connected, closed, stop: () => socket.destroy() };
}

describe('slow clients', () => {
  it('a body trickled in is cut at the request timeout', async () => {
    const s = await serverWith({ requestTimeoutMs: 1500, headersTimeoutMs: 1000 });
    const url = await s.listen();
    const conns = Array.from({ length: 5 }, () => trickle(url, 200));
    try {
      const times = await Promise.race([
        Promise.all(conns.map((c) => c.closed)),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000)),
      ]);
      expect(times, 'connections still open after 15 s').not.toBeNull();
      for (const t of times!) expect(t).toBeLessThan(6000);
    } finally {
      for (const c of conns) c.stop();
    }
  });

  it('shutdown cuts what still runs after its deadline and writes the prediction log first', async () => {
    const s = await createModelServer({
      db: db(),
      databaseUrl: database.url,
      // Flushed only by close(): nothing is written on the timer meanwhile.
      options: { port: 0, logFlushMs: 600_000, logBatchRows: 1000, requestTimeoutMs: 120_000, shutdownMs: 500 },
      log: () => undefined,
    });
    const url = await s.listen();
    const predicted = await predictOne(s, rows[3].text);
    const id = predicted.body.predictions![0].prediction_id;
    const conns = Array.from({ length: 10 }, () => trickle(url, 200));
    // Wait until the server holds the ten requests.
    await waitFor('ten connections', async () => {
      const n = await new Promise<number>((resolve) => s.app.server.getConnections((_e, c) => resolve(c)));
      return n >= 10 ? true : undefined;
    });
    const started = Date.now();
    const closing = s.close();
    const done = await Promise.race([closing.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 20_000))]);
    for (const c of conns) c.stop();
    expect(done, 'close() still waiting after 20 s').toBe(true);
    expect(Date.now() - started).toBeLessThan(8000);
    expect((await getPredictions(db(), [id])).has(id)).toBe(true);
  });
});

describe('nightshift serve and Ctrl-C', () => {
  it('exits within its shutdown deadline while 20 clients trickle bodies', async () => {
    const port = await freePort();
    const home = tempDir(path.join(inject('stateDir'), 'serve-sigint-'));
    const cli = spawnCli(['serve', '--port', String(port)], { DATABASE_URL: database.url, NIGHTSHIFT_HOME: home });
    let conns: Array<ReturnType<typeof trickle>> = [];
    try {
      await waitFor('serving', async () => (/model server on/.test(cli.stderr()) ? true : undefined), 60_000, 100);
      conns = Array.from({ length: 20 }, () => trickle(`http://127.0.0.1:${port}`, 200));
      await Promise.all(conns.map((c) => c.connected));
      const started = Date.now();
      cli.kill('SIGINT');
      const result = await Promise.race([cli.done, new Promise<null>((resolve) => setTimeout(() => resolve(null), 40_000))]);
      expect(result, `still running 40 s after SIGINT; stderr:\n${cli.stderr()}`).not.toBeNull();
      expect(result!.code).toBe(0);
      // The default deadline is 10 s; then the log is written and the registry closed.
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      cli.kill('SIGKILL');
      for (const c of conns) c.stop();
    }
  });
});

describe('Host header', () => {
  it('a loopback server answers its loopback names and the allowed ones, and refuses others (DNS rebinding)', async () => {
    const s = await serverWith({ allowedHosts: ['models.internal'] });
    const get = (host: string) => s.app.inject({ method: 'GET', url: '/ping', headers: { host } });
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'LOCALHOST', 'models.internal:443', 'models.internal']) {
      expect((await get(host)).statusCode, host).toBe(200);
    }
    for (const host of ['attacker.example:8080', 'attacker.example', 'localhost.attacker.example', '127.0.0.1.nip.io:8080']) {
      const res = await get(host);
      expect(res.statusCode, host).toBe(403);
      expect(res.json<{ message: string }>().message).toMatch(/--allowed-host/);
    }
    const fb = await s.app.inject({
      method: 'POST',
      url: '/v1/feedback',
      headers: { host: 'attacker.example:8080' },
      payload: { model: 'colors', feedback: [{ prediction_id: randomUUID(), label: 'red' }] },
    });
    expect(fb.statusCode).toBe(403);
  });
});

describe('predictions off loopback', () => {
  it('need the token by default; --public-predictions opens them; feedback always needs it', async () => {
    const closed = await serverWith({ host: '0.0.0.0', token: TOKEN });
    expect((await predictOne(closed, rows[0].text)).status).toBe(401);
    expect((await predictOne(closed, rows[0].text, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const open = await serverWith({ host: '0.0.0.0', token: TOKEN, publicPredictions: true });
    expect((await predictOne(open, rows[0].text)).status).toBe(200);
    const fb = await open.app.inject({
      method: 'POST',
      url: '/v1/feedback',
      payload: { model: 'colors', feedback: [{ prediction_id: randomUUID(), label: 'red' }] },
    });
    expect(fb.statusCode).toBe(401);
    // A loopback server with a token still serves predictions without it (as before).
    expect((await predictOne(await serverWith({ token: TOKEN }), rows[0].text)).status).toBe(200);
  });
});

describe('stored texts are capped', () => {
  it('a long text keeps its first 64 KiB, its length and hash; feedback labels it but makes no truncated example', async () => {
    const s = await serverWith();
    // Multi-byte characters straddle the cut: it must fall on a character boundary.
    const long = 'é'.repeat(50_000) + ' xword1 ' + 'ü'.repeat(50_000);
    const res = await predictOne(s, long);
    expect(res.status).toBe(200);
    const id = res.body.predictions![0].prediction_id;
    await s.predictionLog.flush();
    const { rows: stored } = await db().query<{ bytes: number; text_bytes: number; text: string }>(
      'SELECT octet_length(text) AS bytes, text_bytes, text FROM predictions WHERE id = $1',
      [id],
    );
    expect(stored[0].bytes).toBeLessThanOrEqual(MAX_LOGGED_TEXT_BYTES);
    expect(stored[0].bytes).toBeGreaterThan(MAX_LOGGED_TEXT_BYTES - 4);
    expect(stored[0].text_bytes).toBe(Buffer.byteLength(long));
    expect(long.startsWith(stored[0].text)).toBe(true);
    const before = await countExamples(db(), red.modelId);
    const fb = await s.app.inject({
      method: 'POST',
      url: '/v1/feedback',
      payload: { model: 'colors', feedback: [{ prediction_id: id, label: 'green' }] },
    });
    expect(fb.json<{ results: Array<{ status: string; example?: string }> }>().results[0]).toMatchObject({
      status: 'recorded',
      example: 'text_truncated',
    });
    expect(await countExamples(db(), red.modelId)).toBe(before);
  });

  it("the monitor's sample of served texts is bounded in bytes, newest first", async () => {
    const s = await serverWith();
    const since = new Date();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await predictOne(s, `${i} ${'z'.repeat(20_000)}`);
      ids.push(r.body.predictions![0].prediction_id);
      await s.predictionLog.flush();
    }
    const all = await servedTexts(db(), red.modelId, red.versionId, since, 5000, 1 << 30);
    expect(all).toHaveLength(10);
    const bounded = await servedTexts(db(), red.modelId, red.versionId, since, 5000, 3 * 20_003);
    expect(bounded.map((r) => r.text.split(' ')[0])).toEqual(['9', '8', '7']);
  });
});

describe('feedback is one transaction', () => {
  it('when the examples cannot be written, no label is recorded either; a retry then records both', async () => {
    const s = await serverWith();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await predictOne(s, `fresh text ${i} ${randomUUID()}`)).body.predictions![0].prediction_id);
    await s.predictionLog.flush();
    const payload = { model: 'colors', feedback: ids.map((id) => ({ prediction_id: id, label: 'red' })) };
    const before = await countExamples(db(), red.modelId);
    await db().query(`CREATE FUNCTION hardening_examples_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'examples unavailable' USING ERRCODE = '57P01'; END $$`);
    await db().query(
      'CREATE TRIGGER hardening_examples_fail BEFORE INSERT ON examples FOR EACH ROW EXECUTE FUNCTION hardening_examples_fail()',
    );
    try {
      const res = await s.app.inject({ method: 'POST', url: '/v1/feedback', payload });
      expect(res.statusCode).toBe(503);
    } finally {
      await db().query('DROP TRIGGER hardening_examples_fail ON examples');
      await db().query('DROP FUNCTION hardening_examples_fail()');
    }
    const { rows: labelled } = await db().query<{ n: string }>(
      'SELECT count(*) AS n FROM predictions WHERE id = ANY($1::uuid[]) AND label_true IS NOT NULL',
      [ids],
    );
    expect(Number(labelled[0].n)).toBe(0);
    expect(await countExamples(db(), red.modelId)).toBe(before);
    const again = await s.app.inject({ method: 'POST', url: '/v1/feedback', payload });
    expect(again.json<{ counts: Record<string, number> }>().counts.recorded).toBe(30);
    expect(await countExamples(db(), red.modelId)).toBe(before + 30);
  });
});
