/**
 * Every stock client works against a listening model server on a real PostgreSQL: tritonclient's
 * synchronous and asyncio HTTP clients (JSON and the binary tensor data extension, gzip and
 * deflate bodies, versioned routes), kserve's InferenceRESTClient, MLflow's ScoringServerClient
 * (and a text/csv body), promtool on /metrics, and the OpenAPI document through a real validator.
 * The Python clients come from the environment `npm run pretest` makes (test/support/python-clients.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/services.ts';
import { promoteVersion, trainVersion, type TrainedVersion } from '../support/serving.ts';
import { pythonClients } from '../support/python-clients.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { createModelServer, type ModelServer } from '../../serve/server.ts';
import { predictTexts } from '../../ml/classifier.ts';
import { loadModelVersion } from '../../registry/versions.ts';

const DRIVER = fileURLToPath(new URL('../support/stock-clients.py', import.meta.url));
const MODEL = 'spam';
const rows = syntheticTexts(300, ['spam', 'ham'], 11);
// Non-ASCII and a comma and quotes, so the binary lengths are bytes and the CSV is quoted.
const texts = [rows[0].text, `${rows[1].text} — naïve "quoted", text`, rows[2].text];

let database: TestDatabase;
let server: ModelServer;
let url: string;
let version: TrainedVersion;
let expected: Array<{ label: string; probabilities: ArrayLike<number> }>;
let labels: string[];

beforeAll(async () => {
  database = await createTestDatabase();
  version = await trainVersion(database.db, MODEL, rows);
  await promoteVersion(database.db, version.modelId, version.versionId);
  server = await createModelServer({
    db: database.db,
    databaseUrl: database.url,
    options: { host: '127.0.0.1', port: 0, bodyLimit: 256 * 1024, logFlushMs: 50 },
    log: () => undefined,
  });
  url = await server.listen();
  const model = await loadModelVersion(database.db, version.versionId);
  labels = model.labels;
  expected = predictTexts(model, texts);
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

/** Runs one client in the Python environment (asynchronously: the server answers in this process). */
function runClient(client: string): Promise<Record<string, unknown>> {
  const python = pythonClients();
  return new Promise((resolve, reject) => {
    const child = spawn(python, [DRIVER, client, url, MODEL, String(version.version)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${client} exited with ${code}: ${err.trim().split('\n').slice(-15).join('\n')}`));
      else resolve(JSON.parse(out) as Record<string, unknown>);
    });
    child.stdin.end(JSON.stringify(texts));
  });
}

interface Inference {
  label: string[];
  probabilities: number[][];
  prediction_id: string[];
  model_version: string;
}

/** The client's view of one inference is what the model predicts, FP32-close, with fresh prediction ids. */
function expectPredictions(result: unknown): void {
  const r = result as Inference;
  expect(r.label).toEqual(expected.map((p) => p.label));
  expect(r.model_version).toBe(String(version.version));
  expect(r.probabilities).toHaveLength(texts.length);
  for (const [i, row] of r.probabilities.entries()) {
    expect(row).toHaveLength(labels.length);
    for (const [k, p] of row.entries()) expect(p).toBeCloseTo(expected[i].probabilities[k], 6);
  }
  expect(r.prediction_id).toHaveLength(texts.length);
  for (const id of r.prediction_id) expect(id).toMatch(/^[0-9a-f-]{36}$/);
}

describe('tritonclient', () => {
  it('the synchronous client (no Content-Type): health, versioned metadata and readiness, JSON, binary, gzip and deflate inference', async () => {
    const r = await runClient('triton-sync');
    expect(r.live).toBe(true);
    expect(r.ready).toBe(true);
    expect(r.model_ready).toBe(true);
    expect(r.version_ready).toBe(true);
    expect(r.other_version_ready).toBe(false);
    expect((r.server_metadata as { extensions: string[] }).extensions).toContain('binary_tensor_data');
    expect((r.version_metadata as { versions: string[] }).versions).toEqual([String(version.version)]);
    for (const form of ['json', 'binary', 'default', 'versioned', 'gzip', 'deflate']) expectPredictions(r[form]);
    expect(r.other_version_error).toMatch(
      new RegExp(`version "${version.version + 5}" is not served; the version served is ${version.version}`),
    );
  });

  it('the asyncio client (application/octet-stream): JSON, binary and gzip inference', async () => {
    const r = await runClient('triton-aio');
    expect(r.live).toBe(true);
    expect(r.model_ready).toBe(true);
    expect(r.version_ready).toBe(true);
    expect((r.server_metadata as { extensions: string[] }).extensions).toContain('binary_tensor_data');
    for (const form of ['json', 'binary', 'default', 'gzip']) expectPredictions(r[form]);
  });
});

describe("kserve's InferenceRESTClient", () => {
  it('infers with JSON and binary tensors, and shows the server error text', async () => {
    const r = await runClient('kserve');
    expect(r.live).toBe(true);
    expect(r.ready).toBe(true);
    expect(r.model_ready).toBe(true);
    for (const form of ['json', 'binary', 'binary_in_json_out']) expectPredictions(r[form]);
    // kserve shows the body's "error" only for a reply of Content-Type application/json exactly.
    expect(r.unknown_model_error).toMatch(/unknown model "no-such-model"/);
  });
});

describe("MLflow's ScoringServerClient", () => {
  it('invokes with a DataFrame, and a text/csv body with a text column answers the same', async () => {
    const r = await runClient('mlflow');
    expect(r.label).toEqual(expected.map((p) => p.label));
    expect(r.csv_status).toBe(200);
    const csv = r.csv as { predictions: Array<{ label: string }>; model_version: string };
    expect(csv.predictions.map((p) => p.label)).toEqual(expected.map((p) => p.label));
    expect(csv.model_version).toBe(String(version.version));
  });
});

describe('request bodies the clients may send', () => {
  const body = { inputs: [{ name: 'text', shape: [texts.length], datatype: 'BYTES', data: texts }] };
  const infer = (payload: Buffer | string, headers: Record<string, string>) =>
    server.app.inject({ method: 'POST', url: `/v2/models/${MODEL}/infer`, payload, headers });

  it('a v2 body is JSON under any Content-Type or none', async () => {
    for (const type of [undefined, 'application/octet-stream', 'text/plain', 'application/x-anything']) {
      const res = await infer(JSON.stringify(body), type ? { 'content-type': type } : {});
      expect(res.statusCode, `${type}: ${res.body}`).toBe(200);
      expect(res.json<{ outputs: Array<{ name: string; data: string[] }> }>().outputs[0].data).toEqual(expected.map((p) => p.label));
    }
  });

  it('MLflow routes answer 415 to a Content-Type other than JSON or CSV (text/plain included), as MLflow does', async () => {
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      const res = await server.app.inject({
        method: 'POST',
        url: `/models/${MODEL}/invocations`,
        payload: JSON.stringify({ inputs: texts }),
        headers: { 'content-type': type },
      });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(415);
      expect(res.json<{ error_code: string; message: string }>().message).toMatch(/unsupported Content-Type/);
    }
  });

  it('/v2 replies, errors included, say Content-Type: application/json exactly', async () => {
    expect((await server.app.inject({ url: '/v2' })).headers['content-type']).toBe('application/json');
    expect((await server.app.inject({ url: `/v2/models/${MODEL}` })).headers['content-type']).toBe('application/json');
    expect((await server.app.inject({ url: '/v2/models/nope' })).headers['content-type']).toBe('application/json');
    expect((await infer('{', { 'content-type': 'application/json' })).headers['content-type']).toBe('application/json');
  });

  it('gzip and deflate bodies are decoded; another encoding is a 415 naming it; the decoded size counts against the limit', async () => {
    const json = Buffer.from(JSON.stringify(body));
    for (const [encoding, data] of [
      ['gzip', gzipSync(json)],
      ['deflate', deflateSync(json)],
    ] as const) {
      const res = await infer(data, { 'content-type': 'application/json', 'content-encoding': encoding });
      expect(res.statusCode, `${encoding}: ${res.body}`).toBe(200);
    }
    const br = await infer(json, { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(br.statusCode).toBe(415);
    expect(br.json<{ error: string }>().error).toMatch(/Content-Encoding "br"/);
    const mlflow = await server.app.inject({
      method: 'POST',
      url: '/invocations',
      payload: gzipSync(JSON.stringify({ inputs: texts })),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(mlflow.statusCode, mlflow.body).toBe(200);
    // 4 MiB of zeros gzip to a few KiB: under the 256 KiB limit sent, far over it decoded.
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(256 * 1024);
    const big = await infer(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(big.statusCode).toBe(413);
    const corrupt = await infer(Buffer.from('not gzip at all'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(corrupt.statusCode).toBe(400);
    expect(corrupt.json<{ error: string }>().error).toMatch(/gzip body cannot be decoded/);
  });

  it('a malformed binary body is a 400 saying what is wrong', async () => {
    const head = Buffer.from(
      JSON.stringify({ inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 9 } }] }),
    );
    const cases: Array<[Buffer, string, RegExp]> = [
      [Buffer.concat([head, Buffer.from([5, 0, 0, 0, 0x61])]), String(head.length), /binary_data_size is 9 but only 5 bytes/],
      [
        Buffer.concat([head, Buffer.from([5, 0, 0, 0, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66])]),
        String(head.length),
        /1 bytes after the JSON header/,
      ],
      [Buffer.concat([head, Buffer.from([9, 0, 0, 0, 0x61])]), 'ten', /Inference-Header-Content-Length must be a number/],
    ];
    for (const [payload, length, message] of cases) {
      const res = await infer(payload, { 'content-type': 'application/octet-stream', 'inference-header-content-length': length });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<{ error: string }>().error).toMatch(message);
    }
  });

  it('MLflow routes refuse a body that is neither JSON nor CSV with a 415, and a CSV without a text column with a 400', async () => {
    const octet = await server.app.inject({
      method: 'POST',
      url: '/invocations',
      payload: 'x',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(octet.statusCode).toBe(415);
    const csv = await server.app.inject({
      method: 'POST',
      url: '/invocations',
      payload: 'body\nhello\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(csv.statusCode).toBe(400);
    expect(csv.json<{ message: string }>().message).toMatch(/CSV header must name a "text" column/);
  });

  it('versioned v2 routes answer for the served version and 404 with the served one named for another', async () => {
    const v = version.version;
    expect((await server.app.inject({ url: `/v2/models/${MODEL}/versions/${v}` })).json<{ versions: string[] }>().versions).toEqual([
      String(v),
    ]);
    expect((await server.app.inject({ url: `/v2/models/${MODEL}/versions/${v}/ready` })).statusCode).toBe(200);
    const other = await server.app.inject({ url: `/v2/models/${MODEL}/versions/${v + 1}/ready` });
    expect(other.statusCode).toBe(404);
    expect(other.json<{ error: string }>().error).toBe(`model "${MODEL}" version "${v + 1}" is not served; the version served is ${v}`);
  });
});

describe('promtool and OpenAPI', () => {
  it('promtool check metrics finds nothing wrong in /metrics', async () => {
    await server.app.inject({ url: '/v2/health/live' });
    const metrics = await server.app.inject({ url: '/metrics' });
    expect(metrics.body).toContain('nightshift_http_requests_total');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics.body, encoding: 'utf8' });
    expect(check.error, 'promtool is missing: run `npm run pretest` (Debian package prometheus)').toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });

  it('GET /openapi.json is a valid OpenAPI document with the routes and their schemas', async () => {
    const res = await server.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { content: object }> }>
      >;
    }>();
    // validate() throws on a document that breaks the OpenAPI 3.1 schema; it resolves (and changes) its argument.
    await SwaggerParser.validate(structuredClone(doc) as never);
    for (const path of [
      '/invocations',
      '/v2',
      '/v2/models/{name}/infer',
      '/v2/models/{name}/versions/{version}',
      '/v2/models/{name}/versions/{version}/ready',
      '/v2/models/{name}/versions/{version}/infer',
      '/v1/feedback',
      '/metrics',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    const infer = doc.paths['/v2/models/{name}/infer'].post.requestBody!.content;
    expect(Object.keys(infer).sort()).toEqual(['application/json', 'application/octet-stream']);
    expect(infer['application/json'].schema).toMatchObject({ required: ['inputs'] });
    expect(Object.keys(doc.paths['/invocations'].post.requestBody!.content).sort()).toEqual(['application/json', 'text/csv']);
    expect(Object.keys(doc.paths['/v2/models/{name}/infer'].post.responses['200'].content).sort()).toEqual([
      'application/json',
      'application/octet-stream',
    ]);
  });
});
