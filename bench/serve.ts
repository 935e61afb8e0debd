/**
 * The model server against MLflow's scoring server, side by side in one run, loopback only, with
 * the same texts (the SpamAssassin test split) and the same load tool (autocannon, in this
 * process): requests/s, texts/s, p50/p99 latency and RSS for one text per request and for 64-text
 * batches; then a promotion under load (failed requests, reload time) and RSS over a longer run.
 *
 * Nightshift's server runs as its own process (this file with NIGHTSHIFT_BENCH_SERVE_CHILD=1), the
 * prediction log on, against an embedded PostgreSQL (or DATABASE_URL). The peer is `mlflow models
 * serve` (one uvicorn worker) of scikit-learn's HashingVectorizer + SGDClassifier trained on the
 * training split (peers/mlflow-peer.py), in a virtual environment created once under
 * ~/.cache/nightshift/mlflow-venv (MLFLOW_VENV to use another); skipped, with the reason, when it
 * cannot be made, or with BENCH_SERVE_PEER=0. Durations: BENCH_SERVE_SECONDS (10 per load),
 * BENCH_SERVE_SOAK_SECONDS (60). BENCH_SERVE_LOG_TEXT=0 serves with --no-log-text.
 *
 * For each Nightshift load it also reports the prediction log's rows written and dropped (read from
 * GET /v1/models once the log's buffer has drained), and at the end feedback throughput:
 * BENCH_SERVE_FEEDBACK_ITEMS (10,000) true labels in batches of 500, then the same items again.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spamAssassinSplit } from '../data/spam-assassin.ts';
import { fitClassifier } from '../ml/classifier.ts';
import { encodeModel } from '../ml/model-file.ts';
import { migrate } from '../registry/migrate.ts';
import { ensureModel } from '../registry/models.ts';
import { createPool, type Db } from '../registry/pool.ts';
import { productionVersionId, promote } from '../registry/promotions.ts';
import { createCandidateVersion } from '../registry/versions.ts';
import { startEmbeddedPostgres } from '../stack/embedded-postgres.ts';
import { freePort } from '../stack/ports.ts';
import { tempDir } from '../test/support/dirs.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const out = path.join(here, 'out');
const MODEL = 'spam';
const BATCH = 64;

// ---------------------------------------------------------------------------------------------
// The child: Nightshift's server alone in its process, as `nightshift serve` runs it.

if (process.env.NIGHTSHIFT_BENCH_SERVE_CHILD === '1') {
  const { startModelServer } = await import('../serve/server.ts');
  const server = await startModelServer({
    databaseUrl: process.env.DATABASE_URL!,
    host: '127.0.0.1',
    port: Number(process.env.BENCH_SERVE_PORT),
    options: { model: MODEL, logText: process.env.BENCH_SERVE_LOG_TEXT !== '0' },
  });
  process.stdout.write(`${server.url}\n`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

// ---------------------------------------------------------------------------------------------
// Load generation (autocannon has no type declarations; this is the part of its API used here).

interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: Array<AutocannonRequest & { setupRequest?: (req: AutocannonRequest) => AutocannonRequest }>;
}) => Promise<AutocannonResult>;

async function loadAutocannon(): Promise<Autocannon> {
  const name = 'autocannon';
  return ((await import(name)) as { default: Autocannon }).default;
}

export interface LoadResult {
  /** Nightshift only: the prediction log's rows for this load, once its buffer drained. */
  log?: LogDelta;
  requestsPerSecond: number;
  textsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  total: number;
  maxRssMb: number;
}

export interface LogStats {
  buffered: number;
  written: number;
  dropped: number;
}

export interface LogDelta {
  written: number;
  dropped: number;
  /** Seconds after the load until the buffer was empty (the log catching up). */
  drainSeconds: number;
  /** Rows still buffered when the wait gave up (0: everything was written or counted as dropped). */
  buffered: number;
}

async function logStats(url: string): Promise<LogStats> {
  const body = (await (await fetch(`${url}/v1/models`)).json()) as { predictionLog: LogStats };
  return body.predictionLog;
}

/** Runs a load against Nightshift and reports what its prediction log wrote and dropped for it. */
async function withLogDelta(url: string, load: () => Promise<LoadResult>): Promise<LoadResult> {
  const before = await logStats(url);
  const result = await load();
  const ended = performance.now();
  let after = await logStats(url);
  while (after.buffered > 0 && performance.now() - ended < 60_000) {
    await new Promise((r) => setTimeout(r, 100));
    after = await logStats(url);
  }
  return {
    ...result,
    log: {
      written: after.written - before.written,
      dropped: after.dropped - before.dropped,
      drainSeconds: (performance.now() - ended) / 1000,
      buffered: after.buffered,
    },
  };
}

/** RSS of a process and its descendants (uvicorn's worker is a child of `mlflow models serve`). */
function treeRssMb(pid: number): number {
  let kb = 0;
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        for (const c of children ? children.split(/\s+/) : []) visit(Number(c));
      }
    } catch {
      // The process ended.
    }
  };
  visit(pid);
  return kb / 1024;
}

async function runLoad(
  autocannon: Autocannon,
  url: string,
  urlPath: string,
  bodies: string[],
  textsPerRequest: number,
  connections: number,
  seconds: number,
  pid: number,
  onSample?: (rssMb: number) => void,
): Promise<LoadResult> {
  let next = 0;
  let maxRss = treeRssMb(pid);
  const sampler = setInterval(() => {
    const rss = treeRssMb(pid);
    maxRss = Math.max(maxRss, rss);
    onSample?.(rss);
  }, 1000);
  try {
    const r = await autocannon({
      url,
      connections,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          path: urlPath,
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
        },
      ],
    });
    return {
      requestsPerSecond: r.requests.average,
      textsPerSecond: r.requests.average * textsPerRequest,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      failed: r.errors + r.timeouts + r.non2xx,
      total: r.requests.total,
      maxRssMb: maxRss,
    };
  } finally {
    clearInterval(sampler);
  }
}

async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s`);
}

function stopTree(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    // A child killed by a signal has signalCode set and exitCode null.
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The peer: MLflow's scoring server.

function mlflowVenv(log: (l: string) => void): { python: string; mlflow: string } | string {
  const venv = process.env.MLFLOW_VENV ?? path.join(os.homedir(), '.cache', 'nightshift', 'mlflow-venv');
  const python = path.join(venv, 'bin', 'python');
  const mlflow = path.join(venv, 'bin', 'mlflow');
  const ready = () => existsSync(mlflow) && spawnSync(python, ['-c', 'import mlflow, sklearn, pandas'], { stdio: 'ignore' }).status === 0;
  if (ready()) return { python, mlflow };
  log(`creating the MLflow peer's virtual environment in ${venv} (pip install mlflow scikit-learn; once)`);
  mkdirSync(path.dirname(venv), { recursive: true });
  const made = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
  if (made.status !== 0) return `python3 -m venv failed: ${(made.stderr || String(made.error)).trim().slice(-300)}`;
  const pip = spawnSync(path.join(venv, 'bin', 'pip'), ['install', '-q', 'mlflow', 'scikit-learn'], { encoding: 'utf8', timeout: 900_000 });
  if (pip.status !== 0) return `pip install mlflow scikit-learn failed: ${(pip.stderr || String(pip.error)).trim().slice(-300)}`;
  return ready() ? { python, mlflow } : 'mlflow is not importable after installing it';
}

async function startMlflowPeer(trainFile: string, log: (l: string) => void): Promise<{ url: string; child: ChildProcess } | string> {
  const venv = mlflowVenv(log);
  if (typeof venv === 'string') return venv;
  const modelDir = path.join(out, 'mlflow-model');
  const trained = spawnSync(venv.python, [path.join(here, 'peers', 'mlflow-peer.py'), trainFile, modelDir], { encoding: 'utf8' });
  if (trained.status !== 0) return `training the MLflow peer failed: ${trained.stderr.trim().slice(-500)}`;
  const port = await freePort();
  const child = spawn(
    venv.mlflow,
    ['models', 'serve', '-m', modelDir, '--env-manager', 'local', '-h', '127.0.0.1', '-p', String(port), '--workers', '1'],
    {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PATH: `${path.dirname(venv.mlflow)}:${process.env.PATH}` },
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/ping`, child, 'mlflow models serve', 180_000);
  } catch (err) {
    await stopTree(child);
    return `${(err as Error).message}: ${stderr.trim().slice(-500)}`;
  }
  return { url, child };
}

// ---------------------------------------------------------------------------------------------

async function writeVersion(db: Db, modelId: number, train: Array<{ text: string; label: string }>, seed: number, tag: string) {
  const fit = await fitClassifier(train, { train: { seed } });
  const encoded = encodeModel(fit.model);
  return createCandidateVersion(db, {
    modelId,
    formatVersion: encoded.formatVersion,
    weights: encoded.bytes,
    sha256: encoded.sha256,
    labels: fit.model.labels,
    hyperparameters: { seed },
    training: {},
    datasetSnapshotId: null,
    workflowId: `bench-serve-${tag}`,
    runId: `${tag}-${Date.now()}`,
  });
}

async function promoteTo(db: Db, modelId: number, versionId: number, tag: string): Promise<void> {
  const run = `${tag}-${Date.now()}`;
  await promote(db, {
    modelId,
    toVersionId: versionId,
    expectedFromVersionId: await productionVersionId(db, modelId),
    kind: 'promote',
    reason: 'bench',
    decision: null,
    actor: 'bench',
    workflowId: `bench-promote-${run}`,
    runId: run,
  });
}

export interface ServeBenchReport {
  texts: number;
  seconds: number;
  nightshift: { single: LoadResult; batch: LoadResult };
  mlflow: { single: LoadResult; batch: LoadResult } | { skipped: string };
  promotion: {
    total: number;
    failed: number;
    fromVersion: number;
    toVersion: number;
    clientObservedMs: number;
    serverLoadMs: number | null;
  };
  soak: { seconds: number; rssMb: number[] };
  logDropped: number | null;
  feedback: FeedbackBench;
}

export interface FeedbackBench {
  items: number;
  batch: number;
  seconds: number;
  itemsPerSecond: number;
  counts: Record<string, number>;
  examples: Record<string, number>;
  /** The same items again: every one `unchanged`, the idempotent path. */
  repeatItemsPerSecond: number;
}

const FEEDBACK_ITEMS = Number(process.env.BENCH_SERVE_FEEDBACK_ITEMS ?? 10_000);
const FEEDBACK_BATCH = 500;

/**
 * Feedback throughput: FEEDBACK_ITEMS predictions made (64 texts a request, the test texts over
 * and over, so most labelled texts are already examples after their first time: the database
 * deduplicates them), then their true labels posted to /v1/feedback in batches of FEEDBACK_BATCH,
 * one request at a time; then the same batches again (all `unchanged`).
 */
async function benchFeedback(url: string, invocations: string, test: Array<{ text: string; label: string }>): Promise<FeedbackBench> {
  const items: Array<{ prediction_id: string; label: string }> = [];
  for (let i = 0; items.length < FEEDBACK_ITEMS; i += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, FEEDBACK_ITEMS - items.length) }, (_, j) => test[(i + j) % test.length]);
    const res = await fetch(`${url}${invocations}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: rows.map((r) => r.text) }),
    });
    const body = (await res.json()) as { predictions: Array<{ prediction_id: string }> };
    body.predictions.forEach((p, j) => items.push({ prediction_id: p.prediction_id, label: rows[j].label }));
  }
  const post = async () => {
    const counts: Record<string, number> = {};
    const examples: Record<string, number> = {};
    const t0 = performance.now();
    for (let i = 0; i < items.length; i += FEEDBACK_BATCH) {
      const res = await fetch(`${url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, feedback: items.slice(i, i + FEEDBACK_BATCH) }),
      });
      if (!res.ok) throw new Error(`feedback: HTTP ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { counts: Record<string, number>; results: Array<{ example?: string }> };
      for (const [k, n] of Object.entries(body.counts)) counts[k] = (counts[k] ?? 0) + n;
      for (const r of body.results) if (r.example) examples[r.example] = (examples[r.example] ?? 0) + 1;
    }
    return { seconds: (performance.now() - t0) / 1000, counts, examples };
  };
  const first = await post();
  const repeat = await post();
  return {
    items: items.length,
    batch: FEEDBACK_BATCH,
    seconds: first.seconds,
    itemsPerSecond: items.length / first.seconds,
    counts: first.counts,
    examples: first.examples,
    repeatItemsPerSecond: items.length / repeat.seconds,
  };
}

export async function benchServe(
  seconds = Number(process.env.BENCH_SERVE_SECONDS ?? 10),
  soakSeconds = Number(process.env.BENCH_SERVE_SOAK_SECONDS ?? 60),
): Promise<ServeBenchReport> {
  const log = (l: string) => process.stderr.write(`bench serve: ${l}\n`);
  mkdirSync(out, { recursive: true });
  const autocannon = await loadAutocannon();
  const { train, test } = spamAssassinSplit();
  const texts = test.map((m) => m.text);
  const single = texts.map((t) => JSON.stringify({ dataframe_split: { columns: ['text'], data: [[t]] } }));
  const batches: string[] = [];
  for (let i = 0; i + BATCH <= texts.length; i += BATCH) {
    batches.push(JSON.stringify({ dataframe_split: { columns: ['text'], data: texts.slice(i, i + BATCH).map((t) => [t]) } }));
  }
  const trainFile = path.join(out, 'spam-train.jsonl');
  writeFileSync(trainFile, train.map((m) => JSON.stringify({ text: m.text, label: m.label })).join('\n') + '\n');

  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    // Registry and Nightshift's versions.
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const home = tempDir(path.join(os.tmpdir(), 'nightshift-bench-serve-'));
      const pg = await startEmbeddedPostgres(home, await freePort(), () => undefined);
      // Runs after pg.stop() (cleanups run in reverse): a deleted home lets the next embedded
      // PostgreSQL start sweep this one's data directory (as root it lives in /var/lib/nightshift).
      cleanups.push(async () => rmSync(home, { recursive: true, force: true }));
      cleanups.push(() => pg.stop());
      databaseUrl = pg.databaseUrl;
    }
    const db = createPool(databaseUrl);
    cleanups.push(() => db.end());
    await migrate(db);
    const model = await ensureModel(db, MODEL);
    log('training two versions on the training split');
    const v1 = await writeVersion(db, model.id, train, 1, 'v1');
    const v2 = await writeVersion(db, model.id, train, 2, 'v2');
    await promoteTo(db, model.id, v1.id, 'v1');

    // Nightshift's server, its own process.
    const port = await freePort();
    const nodeArgs = (process.env.BENCH_SERVE_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'bin', 'run-ts.js'), fileURLToPath(import.meta.url)], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NIGHTSHIFT_BENCH_SERVE_CHILD: '1', DATABASE_URL: databaseUrl, BENCH_SERVE_PORT: String(port) },
    });
    cleanups.push(() => stopTree(child));
    let serverLog = '';
    child.stderr!.on('data', (d: Buffer) => (serverLog = (serverLog + d.toString()).slice(-20_000)));
    const nsUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${nsUrl}/ping`, child, 'the Nightshift model server', 60_000);
    const pid = child.pid!;
    const invocations = `/models/${MODEL}/invocations`;

    log(`nightshift: warm-up, then ${seconds} s single-text and ${seconds} s 64-text loads`);
    await runLoad(autocannon, nsUrl, invocations, single, 1, 10, 2, pid);
    const nsSingle = await withLogDelta(nsUrl, () => runLoad(autocannon, nsUrl, invocations, single, 1, 10, seconds, pid));
    const nsBatch = await withLogDelta(nsUrl, () => runLoad(autocannon, nsUrl, invocations, batches, BATCH, 4, seconds, pid));

    // A promotion under load: a client probes for the new version right after the commit.
    log('nightshift: promotion under load');
    const promotion = await (async () => {
      const running = runLoad(autocannon, nsUrl, invocations, single, 1, 10, seconds, pid);
      await new Promise((r) => setTimeout(r, (seconds * 1000) / 3));
      await promoteTo(db, model.id, v2.id, 'v2');
      const committed = performance.now();
      let observed = NaN;
      for (let i = 0; i < 5000; i++) {
        const res = await fetch(`${nsUrl}${invocations}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: single[0],
        });
        const body = (await res.json()) as { model_version?: string };
        if (body.model_version === String(v2.version)) {
          observed = performance.now() - committed;
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      const r = await running;
      const serverMs = /now serving v\d+ \(was v\d+\); loaded and verified in (\d+) ms/.exec(serverLog)?.[1];
      return {
        total: r.total,
        failed: r.failed,
        fromVersion: v1.version,
        toVersion: v2.version,
        clientObservedMs: observed,
        serverLoadMs: serverMs === undefined ? null : Number(serverMs),
      };
    })();

    log(`nightshift: ${soakSeconds} s single-text load, RSS sampled`);
    const rssMb: number[] = [treeRssMb(pid)];
    let lastSample = Date.now();
    await runLoad(autocannon, nsUrl, invocations, single, 1, 10, soakSeconds, pid, (rss) => {
      if (Date.now() - lastSample >= Math.max(1000, (soakSeconds * 1000) / 12)) {
        rssMb.push(rss);
        lastSample = Date.now();
      }
    });
    rssMb.push(treeRssMb(pid));
    const metrics = await (await fetch(`${nsUrl}/metrics`)).text();
    const dropped = /nightshift_prediction_log_dropped_total (\d+)/.exec(metrics)?.[1];

    log(`nightshift: feedback, ${FEEDBACK_ITEMS} items in batches of ${FEEDBACK_BATCH}`);
    const feedback = await benchFeedback(nsUrl, invocations, test);
    await stopTree(child);

    // The peer.
    log('mlflow: preparing the peer');
    let mlflow: ServeBenchReport['mlflow'];
    const peer = process.env.BENCH_SERVE_PEER === '0' ? 'BENCH_SERVE_PEER=0' : await startMlflowPeer(trainFile, log);
    if (typeof peer === 'string') {
      mlflow = { skipped: peer };
      log(`mlflow peer skipped: ${peer}`);
    } else {
      cleanups.push(() => stopTree(peer.child));
      log(`mlflow: warm-up, then ${seconds} s single-text and ${seconds} s 64-text loads`);
      await runLoad(autocannon, peer.url, '/invocations', single, 1, 10, 2, peer.child.pid!);
      const s = await runLoad(autocannon, peer.url, '/invocations', single, 1, 10, seconds, peer.child.pid!);
      const b = await runLoad(autocannon, peer.url, '/invocations', batches, BATCH, 4, seconds, peer.child.pid!);
      mlflow = { single: s, batch: b };
      await stopTree(peer.child);
    }
    return {
      texts: texts.length,
      seconds,
      nightshift: { single: nsSingle, batch: nsBatch },
      mlflow,
      promotion,
      soak: { seconds: soakSeconds, rssMb },
      logDropped: dropped === undefined ? null : Number(dropped),
      feedback,
    };
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  }
}

const row = (name: string, r: LoadResult): string =>
  `  ${name.padEnd(34)} ${r.requestsPerSecond.toFixed(0).padStart(8)} ${r.textsPerSecond.toFixed(0).padStart(9)} ${r.p50Ms.toFixed(1).padStart(7)} ${r.p99Ms.toFixed(1).padStart(7)} ${r.maxRssMb.toFixed(0).padStart(8)} ${String(r.failed).padStart(7)}`;

export function printServeReport(r: ServeBenchReport): string {
  const lines = [
    `Model server: ${r.texts} SpamAssassin test texts, autocannon on loopback, ${r.seconds} s per load, prediction log on`,
    `  ${'server / load'.padEnd(34)} ${'req/s'.padStart(8)} ${'texts/s'.padStart(9)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'RSS MB'.padStart(8)} ${'failed'.padStart(7)}`,
    row('nightshift, 1 text (10 conn)', r.nightshift.single),
  ];
  if ('skipped' in r.mlflow) {
    lines.push(`  mlflow models serve: skipped (${r.mlflow.skipped})`, row('nightshift, 64 texts (4 conn)', r.nightshift.batch));
  } else {
    lines.push(
      row('mlflow models serve, 1 text', r.mlflow.single),
      row('nightshift, 64 texts (4 conn)', r.nightshift.batch),
      row('mlflow models serve, 64 texts', r.mlflow.batch),
      `  ratios: single-text req/s nightshift/mlflow ${(r.nightshift.single.requestsPerSecond / r.mlflow.single.requestsPerSecond).toFixed(1)}x` +
        ` (goal 10x); nightshift p99 ${r.nightshift.single.p99Ms.toFixed(1)} ms vs mlflow p50 ${r.mlflow.single.p50Ms.toFixed(1)} ms (goal: below);` +
        ` batched texts/s ${(r.nightshift.batch.textsPerSecond / r.mlflow.batch.textsPerSecond).toFixed(1)}x (goal 5x)`,
    );
  }
  const logLine = (name: string, l: LoadResult) =>
    l.log
      ? `  prediction log, ${name}: ${l.log.written} rows written, ${l.log.dropped} dropped` +
        ` (${((100 * l.log.dropped) / Math.max(1, l.log.written + l.log.dropped)).toFixed(1)}%), ` +
        (l.log.buffered === 0
          ? `buffer empty ${l.log.drainSeconds.toFixed(1)} s after the load`
          : `${l.log.buffered} still buffered after 60 s`)
      : `  prediction log, ${name}: not measured`;
  lines.push(logLine('1 text', r.nightshift.single), logLine('64 texts', r.nightshift.batch));
  const f = r.feedback;
  const fmt = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  lines.push(
    `  feedback: ${f.items} items in batches of ${f.batch}, one request at a time: ${f.itemsPerSecond.toFixed(0)} items/s` +
      ` (${f.seconds.toFixed(1)} s; ${fmt(f.counts)}; examples: ${fmt(f.examples)}); the same items again: ${f.repeatItemsPerSecond.toFixed(0)} items/s`,
  );
  const p = r.promotion;
  lines.push(
    `  promotion under load: v${p.fromVersion} -> v${p.toVersion} during ${p.total} requests, ${p.failed} failed; new version answering ` +
      `${p.clientObservedMs.toFixed(0)} ms after the commit (server: load + sha256 check + swap ${p.serverLoadMs ?? '?'} ms)`,
    `  RSS over ${r.soak.seconds} s of single-text load (MB): ${r.soak.rssMb.map((m) => m.toFixed(0)).join(' ')}; prediction log drops ${r.logDropped ?? '?'}`,
  );
  return lines.join('\n');
}

if (
  process.env.NIGHTSHIFT_BENCH_SERVE_CHILD !== '1' &&
  process.argv[1] &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  process.stdout.write(printServeReport(await benchServe()) + '\n');
  process.exit(0);
}
