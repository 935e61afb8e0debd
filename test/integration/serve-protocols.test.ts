/**
 * The model server's handlers through fastify.inject() on a real PostgreSQL: MLflow's scoring
 * protocol and the Open Inference Protocol v2, the bad-input table, 404/503/413, the bearer token,
 * the prediction log, feedback with per-item results, and /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/services.ts';
import { promoteVersion, trainVersion, type TrainedVersion } from '../support/serving.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { waitFor } from '../support/wait.ts';
import { createModelServer, type ModelServer } from '../../serve/server.ts';
import { importExamples } from '../../registry/import-examples.ts';
import { getPredictions } from '../../registry/predictions.ts';
import { predictTexts } from '../../ml/classifier.ts';
import { loadModelVersion } from '../../registry/versions.ts';

let database: TestDatabase;
let server: ModelServer;
let red: TrainedVersion;
const lines: string[] = [];
const TOKEN = 'test-token-0123456789abcdef';
const rows = syntheticTexts(300, ['red', 'green'], 7);
const INVOKE = '/models/colors/invocations';

beforeAll(async () => {
  database = await createTestDatabase();
  red = await trainVersion(database.db, 'colors', rows);
  await promoteVersion(database.db, red.modelId, red.versionId);
  // A model with data but no production version yet.
  await importExamples(database.db, 'pending', 'test', rows.slice(0, 20));
  server = await createModelServer({
    db: database.db,
    databaseUrl: database.url,
    options: { port: 0, token: TOKEN, bodyLimit: 64 * 1024, maxBatch: 100, logFlushMs: 50 },
    log: (l) => lines.push(l),
  });
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'POST', url, payload: payload as object, headers: { 'content-type': 'application/json', ...headers } });
const raw = (url: string, body: string, contentType = 'application/json') =>
  server.app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': contentType } });

describe('MLflow scoring protocol', () => {
  const texts = [rows[0].text, rows[1].text];
  const forms: Array<[string, unknown]> = [
    ['inputs (list)', { inputs: texts }],
    ['inputs (columnar)', { inputs: { text: texts } }],
    ['inputs (records)', { inputs: texts.map((text) => ({ text })) }],
    ['instances', { instances: texts }],
    ['instances (records)', { instances: texts.map((text) => ({ text })) }],
    ['dataframe_split', { dataframe_split: { columns: ['id', 'text'], data: texts.map((t, i) => [i, t]) } }],
    ['dataframe_records', { dataframe_records: texts.map((text) => ({ text, id: 1 })) }],
  ];
  it.each(forms)('%s: one prediction per text, as predictTexts gives, naming the version', async (_name, body) => {
    const res = await post(INVOKE, body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-model-version']).toBe(String(red.version));
    const json = res.json<{
      predictions: Array<{ label: string; probabilities: Record<string, number>; prediction_id: string }>;
      model_version: string;
    }>();
    expect(json.model_version).toBe(String(red.version));
    const expected = predictTexts(await loadModelVersion(database.db, red.versionId), texts);
    expect(json.predictions.map((p) => p.label)).toEqual(expected.map((p) => p.label));
    const model = await loadModelVersion(database.db, red.versionId);
    for (const [i, p] of json.predictions.entries()) {
      expect(Object.keys(p.probabilities).sort()).toEqual(['green', 'red']);
      for (const [k, label] of model.labels.entries()) expect(p.probabilities[label]).toBeCloseTo(expected[i].probabilities[k], 12);
      expect(p.prediction_id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('/invocations needs a model name when several are served; ping, health and version answer', async () => {
    const res = await post(INVOKE, { inputs: ['redword1 redword2'] });
    expect(res.statusCode).toBe(200);
    expect(res.json().predictions[0].label).toBe('red');
    const root = await post('/invocations', { inputs: ['redword1'] });
    expect(root.statusCode).toBe(404);
    expect(root.json().message).toMatch(/serves 2 models \(colors, pending\): name one/);
    for (const url of ['/ping', '/health']) expect((await server.app.inject({ url })).statusCode).toBe(200);
    const v = (await server.app.inject({ url: '/version' })).json();
    expect(v.models).toEqual({ colors: String(red.version), pending: null });
  });

  it('logs every prediction off the request path: id, version, text, hash, label, probabilities, latency', async () => {
    const res = await post(INVOKE, { inputs: ['greenword1 greenword3 common4'] });
    const id = res.json().predictions[0].prediction_id as string;
    const stored = await waitFor('the logged prediction', async () => (await getPredictions(database.db, [id])).get(id));
    expect(stored.version).toBe(red.version);
    expect(stored.text).toBe('greenword1 greenword3 common4');
    expect(stored.label).toBe(res.json().predictions[0].label);
    expect(stored.probabilities).toEqual(res.json().predictions[0].probabilities);
    expect(stored.latencyMs).toBeGreaterThanOrEqual(0);
    const hash = await database.db.query<{ ok: boolean }>(
      `SELECT text_hash = sha256(convert_to(text, 'UTF8')) AS ok FROM predictions WHERE id = $1`,
      [id],
    );
    expect(hash.rows[0].ok).toBe(true);
  });
});

describe('Open Inference Protocol v2', () => {
  it('health, metadata, readiness and inference with BYTES text of shape [N]', async () => {
    expect((await server.app.inject({ url: '/v2/health/live' })).statusCode).toBe(200);
    expect((await server.app.inject({ url: '/v2/health/ready' })).statusCode).toBe(200);
    const meta = (await server.app.inject({ url: '/v2/models/colors' })).json();
    expect(meta).toMatchObject({
      name: 'colors',
      versions: [String(red.version)],
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
    });
    expect(meta.outputs.map((o: { name: string }) => o.name)).toEqual(['label', 'probabilities', 'prediction_id']);
    expect((await server.app.inject({ url: '/v2/models/colors/ready' })).statusCode).toBe(200);

    const texts = [rows[2].text, rows[3].text, rows[4].text];
    const res = await post('/v2/models/colors/infer', {
      id: 'req-1',
      inputs: [{ name: 'text', shape: [3], datatype: 'BYTES', data: texts }],
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ model_name: 'colors', model_version: String(red.version), id: 'req-1' });
    const [label, probabilities, ids] = body.outputs;
    expect(label).toMatchObject({ name: 'label', datatype: 'BYTES', shape: [3] });
    expect(probabilities).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [3, 2] });
    expect(ids).toMatchObject({ name: 'prediction_id', datatype: 'BYTES', shape: [3] });
    const model = await loadModelVersion(database.db, red.versionId);
    const expected = predictTexts(model, texts);
    expect(label.data).toEqual(expected.map((p) => p.label));
    expect(meta.parameters.labels).toEqual(model.labels);
    for (let i = 0; i < 3; i++)
      for (let k = 0; k < 2; k++) expect(probabilities.data[i * 2 + k]).toBeCloseTo(expected[i].probabilities[k], 12);
  });

  it('a versioned infer of another version is 404; of the served one works', async () => {
    const body = { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['x'] }] };
    expect((await post(`/v2/models/colors/versions/${red.version}/infer`, body)).statusCode).toBe(200);
    const wrong = await post(`/v2/models/colors/versions/${red.version + 7}/infer`, body);
    expect(wrong.statusCode).toBe(404);
    expect(wrong.json().error).toMatch(/is not served/);
  });
});

describe('bad input never crashes the server and says what is wrong', () => {
  const v2 = (input: unknown) => ({ inputs: [input] });
  const cases: Array<[string, () => Promise<{ statusCode: number; body: string }>, number, RegExp]> = [
    ['not JSON', () => raw(INVOKE, '{"inputs": ['), 400, /not valid JSON/],
    ['empty body', () => raw(INVOKE, ''), 400, /empty|JSON/i],
    ['a JSON array', () => raw(INVOKE, '["a"]'), 400, /must be object/],
    ['no input form', () => post(INVOKE, { texts: ['a'] }), 400, /must NOT have additional properties|one of inputs/],
    ['two input forms', () => post(INVOKE, { inputs: ['a'], instances: ['b'] }), 400, /exactly one of/],
    ['a number as text', () => post(INVOKE, { inputs: ['a', 5] }), 400, /inputs\[1\] must be a string/],
    ['null text', () => post(INVOKE, { instances: [null] }), 400, /instances\[0\] must be a string/],
    ['records without text', () => post(INVOKE, { dataframe_records: [{ body: 'a' }] }), 400, /no "text" field/],
    ['split without text column', () => post(INVOKE, { dataframe_split: { columns: ['x'], data: [['a']] } }), 400, /must include "text"/],
    ['ragged split row', () => post(INVOKE, { dataframe_split: { columns: ['text', 'x'], data: [['a']] } }), 400, /array of 2 values/],
    ['proto pollution', () => raw(INVOKE, '{"inputs": ["a"], "__proto__": {"x": 1}}'), 400, /.+/],
    ['form-encoded', () => raw(INVOKE, 'inputs=a', 'application/x-www-form-urlencoded'), 415, /Content-Type/],
    ['too many texts', () => post(INVOKE, { inputs: Array.from({ length: 101 }, () => 'a') }), 413, /limit is 100/],
    ['body over the limit', () => post(INVOKE, { inputs: ['x'.repeat(70 * 1024)] }), 413, /limit of 65536 bytes/],
    [
      'v2 no text input',
      () => post('/v2/models/colors/infer', v2({ name: 'txt', shape: [1], datatype: 'BYTES', data: ['a'] })),
      400,
      /named "text"/,
    ],
    [
      'v2 wrong datatype',
      () => post('/v2/models/colors/infer', v2({ name: 'text', shape: [1], datatype: 'FP32', data: [1] })),
      400,
      /BYTES/,
    ],
    [
      'v2 shape mismatch',
      () => post('/v2/models/colors/infer', v2({ name: 'text', shape: [2], datatype: 'BYTES', data: ['a'] })),
      400,
      /shape \[2\] but 1/,
    ],
    [
      'v2 bad shape',
      () => post('/v2/models/colors/infer', v2({ name: 'text', shape: [1, 2], datatype: 'BYTES', data: ['a', 'b'] })),
      400,
      /shape \[N\]/,
    ],
    ['v2 no inputs', () => post('/v2/models/colors/infer', { inputs: [] }), 400, /fewer than 1/],
    [
      'v2 unknown output',
      () =>
        post('/v2/models/colors/infer', {
          ...v2({ name: 'text', shape: [1], datatype: 'BYTES', data: ['a'] }),
          outputs: [{ name: 'logits' }],
        }),
      400,
      /unknown output/,
    ],
    ['unknown model', () => post('/models/nope/invocations', { inputs: ['a'] }), 404, /unknown model "nope"/],
    [
      'v2 unknown model',
      () => post('/v2/models/nope/infer', v2({ name: 'text', shape: [1], datatype: 'BYTES', data: ['a'] })),
      404,
      /unknown model/,
    ],
    ['no production version', () => post('/models/pending/invocations', { inputs: ['a'] }), 503, /no production version yet/],
    ['v2 no production version', () => server.app.inject({ url: '/v2/models/pending/ready' }), 503, /no production version yet/],
    ['no such route', () => server.app.inject({ url: '/nothing/here' }), 404, /no route GET \/nothing\/here/],
  ];
  it.each(cases)('%s', async (_name, send, status, message) => {
    const res = await send();
    expect(res.statusCode, res.body).toBe(status);
    const body = JSON.parse(res.body) as { error_code?: string; message?: string; error?: string };
    const text = body.message ?? body.error;
    expect(text).toMatch(message);
    if (body.error_code !== undefined && status === 400) expect(body.error_code).toBe('BAD_REQUEST');
    // Still alive and answering.
    expect((await post(INVOKE, { inputs: ['redword1'] })).statusCode).toBe(200);
  });
});

describe('feedback', () => {
  it('needs the bearer token', async () => {
    const body = { model: 'colors', feedback: [{ prediction_id: '00000000-0000-4000-8000-000000000000', label: 'red' }] };
    expect((await post('/v1/feedback', body)).statusCode).toBe(401);
    expect((await post('/v1/feedback', body, { authorization: 'Bearer wrong-token-0123456789' })).statusCode).toBe(401);
    expect((await post('/v1/feedback', body, { authorization: `Bearer ${TOKEN}` })).statusCode).toBe(200);
  });

  it('per-item results: recorded, unchanged on repeat, conflict on a changed label, unknown id and label', async () => {
    const res = await post(INVOKE, { inputs: ['redword2 redword4 common1', 'greenword0 greenword5'] });
    const [a, b] = res.json().predictions.map((p: { prediction_id: string }) => p.prediction_id) as string[];
    const auth = { authorization: `Bearer ${TOKEN}` };
    const first = await post(
      '/v1/feedback',
      {
        model: 'colors',
        feedback: [
          { prediction_id: a, label: 'red' },
          { prediction_id: b, label: 'blue' },
          { prediction_id: 'not-an-id', label: 'red' },
          { prediction_id: a, label: 'red' },
        ],
      },
      auth,
    );
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().results.map((r: { status: string }) => r.status)).toEqual([
      'recorded',
      'unknown_label',
      'unknown_prediction',
      'unchanged',
    ]);
    expect(first.json().results[0].example).toBe('added');
    const again = await post(
      '/v1/feedback',
      {
        model: 'colors',
        feedback: [
          { prediction_id: a, label: 'red' },
          { prediction_id: a, label: 'green' },
        ],
      },
      auth,
    );
    expect(again.json().results.map((r: { status: string }) => r.status)).toEqual(['unchanged', 'conflict']);
    expect(again.json().results[1].label).toBe('red');
    const examples = await database.db.query<{ label: string; source: string; external_id: string }>(
      `SELECT label, source, external_id FROM examples WHERE source = 'feedback'`,
    );
    expect(examples.rows).toEqual([{ label: 'red', source: 'feedback', external_id: a }]);
    // Another model's prediction is unknown to this model.
    const other = await post('/v1/feedback', { model: 'pending', feedback: [{ prediction_id: b, label: 'green' }] }, auth);
    expect(other.json().results[0].status).toBe('unknown_prediction');
    const missing = await post('/v1/feedback', { model: 'nope', feedback: [{ prediction_id: b, label: 'green' }] }, auth);
    expect(missing.statusCode).toBe(404);
    const malformed = await post('/v1/feedback', { model: 'colors', feedback: [{ prediction_id: b }] }, auth);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().message).toMatch(/label/);
  });
});

describe('/metrics', () => {
  it('exposes nightshift_ metrics with model and version labels', async () => {
    const text = (await server.app.inject({ url: '/metrics' })).body;
    expect(text).toMatch(new RegExp(`nightshift_predictions_total\\{model="colors",version="${red.version}",label="(red|green)"\\} \\d+`));
    expect(text).toMatch(/nightshift_prediction_latency_seconds_bucket\{le="0.001",model="colors",version="\d+"\}/);
    expect(text).toMatch(/nightshift_http_requests_total\{route="\/models\/:name\/invocations",method="POST",status="400"\} \d+/);
    expect(text).toMatch(/nightshift_feedback_total\{model="colors",result="recorded"\} \d+/);
    expect(text).toMatch(/nightshift_prediction_log_dropped_total 0/);
    expect(text).toMatch(/nightshift_model_loads_total\{model="colors",version="\d+",kind="initial"\} 1/);
    expect(text).toMatch(/nightshift_served_version\{model="colors"\} \d+/);
    expect(text).not.toMatch(/prediction_id=|[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});
