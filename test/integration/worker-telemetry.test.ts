/**
 * A worker process (`node bin/worker.js`) with every telemetry option on, as an operator would
 * turn them on: SDK metrics for Prometheus (NIGHTSHIFT_WORKER_METRICS), JSON log lines
 * (NIGHTSHIFT_LOG_FORMAT=json) and OpenTelemetry traces exported over OTLP/HTTP to a collector
 * played by this test (OTEL_TRACES_EXPORTER=otlp, OTEL_EXPORTER_OTLP_ENDPOINT). One run goes
 * through it; each output is then read the way its consumer would.
 */
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../stack/ports.ts';
import { startRetrain } from '../../runs/client.ts';
import { tempDir } from '../support/dirs.ts';
import { startTestStack, type TestStack } from '../support/services.ts';
import { importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';
import { waitFor } from '../support/wait.ts';
import type { RunResult } from '../../workflows/definitions.ts';

let stack: TestStack;
let worker: WorkerProcess;
let collector: Server;
let metricsPort: number;
const exported: unknown[] = [];
let workflowId: string;

interface OtlpTraces {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ name: string; traceId: string }> }>;
  }>;
}

beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (c: Buffer) => (body += c.toString()));
    request.on('end', () => {
      if (request.url === '/v1/traces') exported.push(JSON.parse(body));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const collectorPort = await freePort();
  await new Promise<void>((resolve) => collector.listen(collectorPort, '127.0.0.1', resolve));
  metricsPort = await freePort();
  stack = await startTestStack({ inProcessWorker: false });
  await importRows(stack.database.db, 'telemetry', syntheticTexts(200, ['a', 'b'], 5));
  worker = await startWorkerProcess({
    temporalAddress: inject('temporalAddress'),
    databaseUrl: stack.database.url,
    taskQueue: stack.taskQueue,
    home: tempDir(path.join(inject('stateDir'), 'telemetry-')),
    env: {
      NIGHTSHIFT_WORKER_METRICS: `127.0.0.1:${metricsPort}`,
      NIGHTSHIFT_LOG_FORMAT: 'json',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      OTEL_SERVICE_NAME: 'nightshift-worker-test',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    },
  });
  const handle = await startRetrain(stack.client, stack.taskQueue, {
    model: 'telemetry',
    trigger: 'manual',
    hyperparameters: { buckets: 1024 },
  });
  workflowId = handle.workflowId;
  expect(((await handle.result()) as RunResult).outcome).toBe('PROMOTED');
});

afterAll(async () => {
  worker?.kill('SIGTERM');
  await worker?.exited;
  await stack?.stop();
  collector?.close();
});

describe('worker telemetry', () => {
  it('serves the SDK metrics (temporal_*) for Prometheus on NIGHTSHIFT_WORKER_METRICS', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/^temporal_\w+/m);
    expect(text).toMatch(/temporal_activity_execution_latency\w*\{[^}]*activity_type="trainCandidate"/);
  });

  it('logs JSON lines, the activity ones with the workflow and run ids', () => {
    const lines = worker
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const completed = lines.filter((l) => l.message === 'activity completed' && l.workflowId === workflowId);
    expect(completed.map((l) => l.activityType)).toEqual(expect.arrayContaining(['fetchNewData', 'trainCandidate', 'promoteModel']));
    expect(completed[0]).toMatchObject({ level: 'info', workflowType: 'retrainModel', namespace: 'default' });
    expect(completed[0].workflowRunId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exports spans of the workflow and its activities over OTLP', async () => {
    const names = async (): Promise<string[]> =>
      (exported as OtlpTraces[]).flatMap((t) =>
        (t.resourceSpans ?? []).flatMap((r) => (r.scopeSpans ?? []).flatMap((s) => (s.spans ?? []).map((x) => x.name))),
      );
    await waitFor('spans', async () => ((await names()).some((n) => n === 'RunWorkflow:retrainModel') ? true : undefined), 15_000);
    const all = await names();
    expect(all).toEqual(expect.arrayContaining(['StartActivity:trainCandidate', 'RunActivity:trainCandidate', 'RunActivity:promoteModel']));
    const service = (exported as OtlpTraces[])[0].resourceSpans?.[0].resource?.attributes?.find((a) => a.key === 'service.name');
    expect(service?.value.stringValue).toBe('nightshift-worker-test');
  });
});
