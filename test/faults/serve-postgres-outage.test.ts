/**
 * PostgreSQL stops while the model server is serving: predictions go on (the request path never
 * touches the database), the prediction log's bounded buffer fills and further rows are dropped
 * and counted, and when PostgreSQL returns the log resumes and a promotion is served again.
 */
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from '../support/dirs.ts';
import { promoteVersion, trainVersion } from '../support/serving.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { waitFor } from '../support/wait.ts';
import { startEmbeddedPostgres, type EmbeddedPg } from '../../stack/embedded-postgres.ts';
import { freePort } from '../../stack/ports.ts';
import { createPool } from '../../registry/pool.ts';
import { migrate } from '../../registry/migrate.ts';
import { countPredictions, getPredictions } from '../../registry/predictions.ts';
import { createModelServer, type ModelServer } from '../../serve/server.ts';

const dir = tempDir(path.join(inject('stateDir'), 'serve-outage-'));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
});

const BUFFER_ROWS = 100;

describe('PostgreSQL stops while serving', () => {
  it('predictions continue, drops are counted, memory stays bounded, the log and reloads resume', async () => {
    const home = path.join(dir, 'pg-home');
    const port = await freePort();
    let pg: EmbeddedPg = await startEmbeddedPostgres(home, port, () => undefined);
    cleanups.push(() => pg.stop());
    const db = createPool(pg.databaseUrl);
    cleanups.push(() => db.end());
    await migrate(db);
    const rows = syntheticTexts(200, ['a', 'b'], 9);
    const v1 = await trainVersion(db, 'outage', rows, { seed: 1 });
    await promoteVersion(db, v1.modelId, v1.versionId);

    const lines: string[] = [];
    const server: ModelServer = await createModelServer({
      db,
      databaseUrl: pg.databaseUrl,
      options: { port: 0, pollMs: 1000, logBufferRows: BUFFER_ROWS, logBatchRows: 20, logFlushMs: 50 },
      log: (l) => lines.push(l),
    });
    cleanups.push(() => server.close());
    const predict = async (text: string) => {
      const res = await server.app.inject({ method: 'POST', url: '/invocations', payload: { inputs: [text] } });
      return { status: res.statusCode, body: res.json<{ model_version: string; predictions: Array<{ prediction_id: string }> }>() };
    };

    const before = await predict('aword1 aword2');
    expect(before.status).toBe(200);
    const beforeId = before.body.predictions[0].prediction_id;
    await waitFor('logged before the outage', async () => (await getPredictions(db, [beforeId])).get(beforeId));

    await pg.stop();
    let maxBuffered = 0;
    for (let i = 0; i < BUFFER_ROWS * 3; i++) {
      const r = await predict(rows[i % rows.length].text);
      expect(r.status).toBe(200);
      expect(r.body.model_version).toBe(String(v1.version));
      maxBuffered = Math.max(maxBuffered, server.predictionLog.stats().buffered);
    }
    const during = server.predictionLog.stats();
    expect(maxBuffered).toBeLessThanOrEqual(BUFFER_ROWS);
    expect(during.dropped).toBeGreaterThanOrEqual(BUFFER_ROWS * 3 - BUFFER_ROWS);
    expect(during.writeFailures).toBeGreaterThan(0);
    const metrics = (await server.app.inject({ url: '/metrics' })).body;
    const dropped = Number(/nightshift_prediction_log_dropped_total (\d+)/.exec(metrics)?.[1]);
    expect(dropped).toBe(during.dropped);
    // Feedback needs the registry: a clear 503, not a crash.
    const fb = await server.app.inject({
      method: 'POST',
      url: '/v1/feedback',
      payload: { model: 'outage', feedback: [{ prediction_id: beforeId, label: 'a' }] },
    });
    expect(fb.statusCode).toBe(503);

    pg = await startEmbeddedPostgres(home, port, () => undefined);
    // What the buffer held is written once PostgreSQL is back; then new predictions are logged again.
    await waitFor('the buffer written', async () => (server.predictionLog.stats().buffered === 0 ? true : undefined), 60_000);
    const after = await predict('bword3 bword4');
    const afterId = after.body.predictions[0].prediction_id;
    await waitFor('the log writing again', async () => (await getPredictions(db, [afterId])).get(afterId), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; server log: ${lines.join(' | ')}; stats ${JSON.stringify(server.predictionLog.stats())}`);
    });
    expect(lines.some((l) => /prediction log: writing again; \d+ predictions were dropped/.test(l))).toBe(true);
    // What the buffer held is written: everything but the drops.
    expect(await countPredictions(db)).toBe(1 + BUFFER_ROWS * 3 + 1 - server.predictionLog.stats().dropped);

    // Promotions are served again (LISTEN reconnected, or the poll).
    const v2 = await trainVersion(db, 'outage', rows, { seed: 2 });
    await promoteVersion(db, v2.modelId, v2.versionId);
    await waitFor(
      'v2 served after the outage',
      async () => ((await predict('x')).body.model_version === String(v2.version) ? true : undefined),
      60_000,
    );
  });
});
