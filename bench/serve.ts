/**
 * The model server against MLflow's scoring server, loopback only, with the same texts (the
 * SpamAssassin test split), the same request bodies and the same load tool (autocannon, in this
 * process): one text a request at 10 connections and 64-text batches at 4.
 *
 * Method, so that a run can be checked rather than believed:
 * - Rounds (--repeats, 3): each round runs Nightshift, then the peer (N P N P N P). A run starts
 *   its side's processes, warms up (2 s of each load, not counted), waits for the machine to be
 *   idle, then runs every load once. The table gives the median over the rounds and the spread
 *   (min..max) of requests/s, texts/s and latency p50/p99, and every run's own figures.
 * - Each side runs alone: Nightshift's server and its embedded PostgreSQL are stopped before each
 *   peer run (started again, same data, for the next Nightshift run) and the peer is stopped
 *   before each Nightshift run. With DATABASE_URL (a PostgreSQL this bench does not own) it keeps
 *   running through the peer's runs; the report says so.
 * - Idle check: before each run's loads, wait (at most --idle-wait, 60 s) until the 1-minute load
 *   average is below --idle-per-core (0.5) x cores; the report prints the load average each run
 *   started at, and marks a run that went ahead without the machine getting idle. Per load it also
 *   prints the CPU the side's processes used and the CPU used by other work on the machine (all
 *   busy CPU from /proc/stat less this process and the side's processes).
 * - Memory, summed over process trees from /proc (peak of 1 s samples during the load): the
 *   serving processes alone (Nightshift's node server; MLflow's uvicorn tree, without the `mlflow`
 *   CLI that started it), and the whole stack (Nightshift's server + PostgreSQL's processes; the
 *   peer's full process tree), as RSS and as PSS (shared pages counted once).
 * - The report says what each side does per request (reply, logging, micro-batching), with the
 *   reply to one text from each side.
 *
 * Nightshift's server runs as its own process (this file with NIGHTSHIFT_BENCH_SERVE_CHILD=1), as
 * `nightshift serve` runs it, prediction log on. The peer is `mlflow models serve` (one uvicorn
 * worker) of scikit-learn's HashingVectorizer + SGDClassifier trained on the training split
 * (peers/mlflow-peer.py), from a virtual environment created once under
 * ~/.cache/nightshift/mlflow-venv (MLFLOW_VENV to use another); skipped, with the reason, when it
 * cannot be made, or with --no-peer (BENCH_SERVE_PEER=0).
 *
 * After the rounds, on Nightshift alone (--no-extras skips them): the prediction log's rows written
 * and dropped per load (each Nightshift load's are in the runs), a promotion under load, RSS over
 * a single-text soak, and feedback throughput (BENCH_SERVE_FEEDBACK_ITEMS, 10,000, in batches of
 * 500, then the same items again). BENCH_SERVE_LOG_TEXT=0 serves with --no-log-text;
 * BENCH_SERVE_NODE_ARGS passes flags to the server's node.
 *
 *   npm run bench -- serve [--repeats N] [--seconds S] [--soak-seconds S] [--idle-per-core X]
 *                          [--idle-wait S] [--no-peer] [--no-extras] [--out FILE]
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spamAssassinSplit } from '../data/spam-assassin.ts';
import { fitClassifier } from '../ml/classifier.ts';
import { encodeModel } from '../ml/model-file.ts';
import { migrate } from '../registry/migrate.ts';
import { ensureModel } from '../registry/models.ts';
import { createPool, type Db } from '../registry/pool.ts';
import { productionVersionId, promote } from '../registry/promotions.ts';
import { createCandidateVersion } from '../registry/versions.ts';
import { startEmbeddedPostgres, type EmbeddedPg } from '../stack/embedded-postgres.ts';
import { freePort } from '../stack/ports.ts';
import { tempDir } from '../test/support/dirs.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const out = path.join(here, 'out');
const MODEL = 'spam';
const BATCH = 64;
const WARM_UP_SECONDS = 2;

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
// Options.

export interface ServeBenchOptions {
  repeats: number;
  seconds: number;
  soakSeconds: number;
  idlePerCore: number;
  idleWaitSeconds: number;
  peer: boolean;
  extras: boolean;
  out: string | null;
}

export const SERVE_BENCH_HELP = `Usage: npm run bench -- serve [options]

Nightshift's model server against \`mlflow models serve\` (SpamAssassin test texts, autocannon on
loopback): one text a request at 10 connections, 64 texts a request at 4. Rounds alternate the two
(N P N P N P); each run has its side alone on the machine (the other side's processes stopped)
and starts once the 1-minute load average is below the idle threshold (or the wait ran out: the
report marks it). Prints medians and min..max over the rounds, each run's figures, CPU and memory
(serving processes alone, whole stack) and what each side does per request.

Options:
  --repeats N          rounds (each: a Nightshift run, then a peer run); at least 3 (default 3)
  --seconds S          seconds per counted load (default 10; BENCH_SERVE_SECONDS)
  --soak-seconds S     the single-text soak after the rounds, Nightshift only (default 60;
                       BENCH_SERVE_SOAK_SECONDS)
  --idle-per-core X    idle when the 1-minute load average is below X x cores (default 0.5)
  --idle-wait S        longest wait for idle before a run; then it goes ahead, marked (default 60)
  --no-peer            Nightshift only (also BENCH_SERVE_PEER=0)
  --no-extras          skip the promotion under load, the soak and the feedback bench
  --out FILE           also write the report to FILE
  -h, --help           this text

Environment: MLFLOW_VENV (the peer's virtual environment, default ~/.cache/nightshift/mlflow-venv,
created on first use), DATABASE_URL (a PostgreSQL to use instead of an embedded one; it then keeps
running through the peer's runs), BENCH_SERVE_LOG_TEXT=0 (serve with --no-log-text),
BENCH_SERVE_FEEDBACK_ITEMS (10000), BENCH_SERVE_NODE_ARGS (flags for the server's node).
`;

export function parseServeArgs(argv: string[]): ServeBenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      repeats: { type: 'string' },
      seconds: { type: 'string' },
      'soak-seconds': { type: 'string' },
      'idle-per-core': { type: 'string' },
      'idle-wait': { type: 'string' },
      'no-peer': { type: 'boolean' },
      'no-extras': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const number = (flag: string, raw: string | undefined, fallback: number, min: number): number => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${flag} must be a number of at least ${min}, got ${raw}`);
    return n;
  };
  const repeats = number('repeats', values.repeats, 3, 3);
  if (!Number.isInteger(repeats)) throw new Error(`--repeats must be an integer, got ${values.repeats}`);
  return {
    repeats,
    seconds: number('seconds', values.seconds ?? process.env.BENCH_SERVE_SECONDS, 10, 1),
    soakSeconds: number('soak-seconds', values['soak-seconds'] ?? process.env.BENCH_SERVE_SOAK_SECONDS, 60, 1),
    idlePerCore: number('idle-per-core', values['idle-per-core'], 0.5, 0),
    idleWaitSeconds: number('idle-wait', values['idle-wait'], 60, 0),
    peer: !values['no-peer'] && process.env.BENCH_SERVE_PEER !== '0',
    extras: !values['no-extras'],
    out: values.out ?? null,
  };
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

// ---------------------------------------------------------------------------------------------
// /proc: process trees, their memory and CPU, the machine's busy CPU.

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** A process and all its descendants (through every thread's children list). */
function treePids(pid: number, into = new Set<number>()): Set<number> {
  if (into.has(pid)) return into;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      into.add(pid);
      for (const c of children ? children.split(/\s+/) : []) treePids(Number(c), into);
    }
  } catch {
    // The process ended.
  }
  return into;
}

function pidsOf(roots: number[]): Set<number> {
  const all = new Set<number>();
  for (const r of roots) treePids(r, all);
  return all;
}

function statusKb(pid: number, field: RegExp): number {
  try {
    return Number(field.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return 0;
  }
}

/** utime + stime of one process (all its threads), in clock ticks. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Busy CPU of the whole machine (user, nice, system, irq, softirq, steal), in clock ticks. */
function machineBusyTicks(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
}

const sumOver = (pids: Set<number>, f: (pid: number) => number): number => [...pids].reduce((s, p) => s + f(p), 0);

interface MemorySample {
  servingRssMb: number;
  stackRssMb: number;
  stackPssMb: number;
}

function memoryOf(side: RunningSide): MemorySample {
  const serving = pidsOf(side.servingRoots());
  const stack = pidsOf(side.stackRoots());
  return {
    servingRssMb: sumOver(serving, (p) => statusKb(p, /VmRSS:\s+(\d+)/)) / 1024,
    stackRssMb: sumOver(stack, (p) => statusKb(p, /VmRSS:\s+(\d+)/)) / 1024,
    stackPssMb: sumOver(stack, pssKb) / 1024,
  };
}

// ---------------------------------------------------------------------------------------------
// The idle check.

export interface IdleCheck {
  /** 1-, 5- and 15-minute load averages when the run's loads started. */
  loadAverage: [number, number, number];
  waitedSeconds: number;
  idle: boolean;
}

async function waitForIdle(threshold: number, maxWaitSeconds: number): Promise<IdleCheck> {
  const started = performance.now();
  while (os.loadavg()[0] >= threshold && performance.now() - started < maxWaitSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
  }
  const [l1, l5, l15] = os.loadavg();
  return { loadAverage: [l1, l5, l15], waitedSeconds: (performance.now() - started) / 1000, idle: l1 < threshold };
}

// ---------------------------------------------------------------------------------------------
// The two sides.

type SideName = 'nightshift' | 'mlflow';

interface RunningSide {
  name: SideName;
  url: string;
  invocations: string;
  /** Root pids of the serving processes alone. */
  servingRoots: () => number[];
  /** Root pids of the whole stack. */
  stackRoots: () => number[];
  stop: () => Promise<void>;
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

/** Nightshift's registry: an embedded PostgreSQL this bench starts and stops, or DATABASE_URL. */
interface Registry {
  /** Starts the embedded PostgreSQL (again); returns its URL and postmaster pid (null: not ours). */
  start: () => Promise<{ databaseUrl: string; pgPid: number | null; stop: () => Promise<void> }>;
  external: boolean;
  cleanup: () => Promise<void>;
}

async function makeRegistry(): Promise<Registry> {
  const external = process.env.DATABASE_URL;
  if (external)
    return {
      external: true,
      start: async () => ({ databaseUrl: external, pgPid: null, stop: async () => undefined }),
      cleanup: async () => undefined,
    };
  const home = tempDir(path.join(os.tmpdir(), 'nightshift-bench-serve-'));
  const port = await freePort();
  return {
    external: false,
    start: async () => {
      const pg: EmbeddedPg = await startEmbeddedPostgres(home, port, () => undefined);
      return { databaseUrl: pg.databaseUrl, pgPid: pg.pid, stop: () => pg.stop() };
    },
    // A deleted home lets the next embedded PostgreSQL start sweep this one's data directory (as
    // root it lives in /var/lib/nightshift).
    cleanup: async () => rmSync(home, { recursive: true, force: true }),
  };
}

async function startNightshift(registry: Registry): Promise<RunningSide & { serverLog: () => string; databaseUrl: string }> {
  const pg = await registry.start();
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_SERVE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'bin', 'run-ts.js'), fileURLToPath(import.meta.url)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NIGHTSHIFT_BENCH_SERVE_CHILD: '1', DATABASE_URL: pg.databaseUrl, BENCH_SERVE_PORT: String(port) },
  });
  let serverLog = '';
  child.stderr!.on('data', (d: Buffer) => (serverLog = (serverLog + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopTree(child);
    await pg.stop();
  };
  try {
    await waitForHttp(`${url}/ping`, child, 'the Nightshift model server', 60_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}: ${serverLog.trim().slice(-1000)}`);
  }
  return {
    name: 'nightshift',
    url,
    invocations: `/models/${MODEL}/invocations`,
    servingRoots: () => [child.pid!],
    stackRoots: () => (pg.pgPid === null ? [child.pid!] : [child.pid!, pg.pgPid]),
    stop,
    serverLog: () => serverLog,
    databaseUrl: pg.databaseUrl,
  };
}

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

interface Peer {
  mlflow: string;
  modelDir: string;
  versions: string;
}

/** The peer's environment and model, trained once; a string says why there is no peer. */
function preparePeer(trainFile: string, log: (l: string) => void): Peer | string {
  const venv = mlflowVenv(log);
  if (typeof venv === 'string') return venv;
  const modelDir = path.join(out, 'mlflow-model');
  log('mlflow: training the peer model');
  const trained = spawnSync(venv.python, [path.join(here, 'peers', 'mlflow-peer.py'), trainFile, modelDir], { encoding: 'utf8' });
  if (trained.status !== 0) return `training the MLflow peer failed: ${trained.stderr.trim().slice(-500)}`;
  const versions = spawnSync(
    venv.python,
    [
      '-c',
      'import mlflow, sklearn, pandas, uvicorn; print(f"mlflow {mlflow.__version__}, scikit-learn {sklearn.__version__}, pandas {pandas.__version__}, uvicorn {uvicorn.__version__}")',
    ],
    { encoding: 'utf8' },
  ).stdout.trim();
  return { mlflow: venv.mlflow, modelDir, versions };
}

/** Descendants of `pid` whose command line names uvicorn or gunicorn, topmost only. */
function workerRoots(pid: number): number[] {
  const pids = treePids(pid);
  const isServer = (p: number): boolean => {
    try {
      return /(uvicorn|gunicorn)/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  };
  const parent = (p: number): number => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return 0;
    }
  };
  return [...pids].filter((p) => p !== pid && isServer(p) && !isServer(parent(p)));
}

async function startMlflow(peer: Peer): Promise<RunningSide> {
  const port = await freePort();
  // uvicorn writes an access-log line per request: to a file, so reading it costs this process nothing.
  const logFile = path.join(out, 'mlflow-serve.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(
    peer.mlflow,
    ['models', 'serve', '-m', peer.modelDir, '--env-manager', 'local', '-h', '127.0.0.1', '-p', String(port), '--workers', '1'],
    {
      detached: true,
      stdio: ['ignore', 'ignore', fd],
      env: { ...process.env, PATH: `${path.dirname(peer.mlflow)}:${process.env.PATH}` },
    },
  );
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/ping`, child, 'mlflow models serve', 180_000);
  } catch (err) {
    await stopTree(child);
    throw new Error(`${(err as Error).message}: ${readFileSync(logFile, 'utf8').trim().slice(-500)}`);
  }
  const workers = workerRoots(child.pid!);
  return {
    name: 'mlflow',
    url,
    invocations: '/invocations',
    servingRoots: () => (workers.length > 0 ? workers : [child.pid!]),
    stackRoots: () => [child.pid!],
    stop: () => stopTree(child),
  };
}

// ---------------------------------------------------------------------------------------------
// Loads.

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

/** Waits (at most 60 s) until Nightshift's prediction log has written everything it buffered. */
async function drainLog(url: string): Promise<LogStats> {
  const started = performance.now();
  let stats = await logStats(url);
  while (stats.buffered > 0 && performance.now() - started < 60_000) {
    await new Promise((r) => setTimeout(r, 100));
    stats = await logStats(url);
  }
  return stats;
}

interface LoadSpec {
  key: 'single' | 'batch';
  label: string;
  connections: number;
  textsPerRequest: number;
  bodies: string[];
}

export interface LoadResult {
  requestsPerSecond: number;
  textsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  total: number;
  /** Peaks of 1 s samples during the load. */
  memory: MemorySample;
  /** CPU of the side's whole stack during the load, in cores. */
  stackCores: number;
  /** CPU of everything else on the machine (not this process, not the side's stack), in cores. */
  otherCores: number;
  /** Nightshift only: the prediction log's rows for this load, once its buffer drained. */
  log?: LogDelta;
}

async function runLoad(
  autocannon: Autocannon,
  side: RunningSide,
  load: LoadSpec,
  seconds: number,
  onSample?: (m: MemorySample) => void,
): Promise<LoadResult> {
  let next = 0;
  const peak = memoryOf(side);
  const sample = () => {
    const m = memoryOf(side);
    peak.servingRssMb = Math.max(peak.servingRssMb, m.servingRssMb);
    peak.stackRssMb = Math.max(peak.stackRssMb, m.stackRssMb);
    peak.stackPssMb = Math.max(peak.stackPssMb, m.stackPssMb);
    onSample?.(m);
  };
  const sampler = setInterval(sample, 1000);
  const stackCpu = () => sumOver(pidsOf(side.stackRoots()), cpuTicks);
  const before = { busy: machineBusyTicks(), self: cpuTicks(process.pid), stack: stackCpu(), at: performance.now() };
  try {
    const r = await autocannon({
      url: side.url,
      connections: load.connections,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          path: side.invocations,
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: load.bodies[next++ % load.bodies.length] }),
        },
      ],
    });
    const wall = (performance.now() - before.at) / 1000;
    const stack = stackCpu() - before.stack;
    const self = cpuTicks(process.pid) - before.self;
    const busy = machineBusyTicks() - before.busy;
    sample();
    return {
      requestsPerSecond: r.requests.average,
      textsPerSecond: r.requests.average * load.textsPerRequest,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      failed: r.errors + r.timeouts + r.non2xx,
      total: r.requests.total,
      memory: peak,
      stackCores: stack / CLK_TCK / wall,
      otherCores: Math.max(0, busy - stack - self) / CLK_TCK / wall,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** A load against Nightshift, with what its prediction log wrote and dropped for it. */
async function runLoadLogged(autocannon: Autocannon, side: RunningSide, load: LoadSpec, seconds: number): Promise<LoadResult> {
  const before = await logStats(side.url);
  const result = await runLoad(autocannon, side, load, seconds);
  const ended = performance.now();
  const after = await drainLog(side.url);
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

/** The reply to one single-text request: its size and shape (what the side computed and sent). */
async function replyShape(side: RunningSide, body: string): Promise<string> {
  const res = await fetch(`${side.url}${side.invocations}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  const describe = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.length > 0 ? describe(v[0]) : ''}]`;
    if (v !== null && typeof v === 'object')
      return `{${Object.entries(v)
        .map(([k, x]) => (x !== null && typeof x === 'object' ? `${k}: ${describe(x)}` : k))
        .join(', ')}}`;
    return typeof v;
  };
  let shape: string;
  try {
    shape = describe(JSON.parse(text));
  } catch {
    shape = `not JSON: ${text.slice(0, 80)}`;
  }
  return `HTTP ${res.status}, ${Buffer.byteLength(text)} bytes, ${shape}`;
}

// ---------------------------------------------------------------------------------------------
// Nightshift's versions.

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

// ---------------------------------------------------------------------------------------------
// Feedback.

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

// ---------------------------------------------------------------------------------------------
// The bench.

export interface SideRun {
  side: SideName;
  round: number;
  idle: IdleCheck;
  loads: Record<LoadSpec['key'], LoadResult>;
}

export interface Extras {
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

export interface ServeBenchReport {
  header: {
    machine: string;
    uname: string;
    cores: number;
    node: string;
    date: string;
    commit: string;
    command: string;
    peerVersions: string;
  };
  options: ServeBenchOptions;
  texts: number;
  idleThreshold: number;
  /** How the other side was kept out of the way. */
  isolation: string;
  loads: Array<{ key: LoadSpec['key']; label: string }>;
  replies: Partial<Record<SideName, string>>;
  runs: SideRun[];
  peerSkipped: string | null;
  extras: Extras | null;
  logText: boolean;
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync(
      'git',
      // Code only: a README edited while the bench runs changes nothing it measures.
      ['status', '--porcelain', '--untracked-files=no', '--', 'bench', 'serve', 'ml', 'registry', 'stack', 'package.json', ':!*.md'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    ).trim();
    return dirty
      ? `${head} with uncommitted changes to ${dirty.split('\n').length} file(s) of bench/, serve/, ml/, registry/, stack/, package.json (not *.md)`
      : head;
  } catch {
    return 'unknown (no git)';
  }
}

export async function benchServe(options: ServeBenchOptions, command: string): Promise<ServeBenchReport> {
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
  const loads: LoadSpec[] = [
    { key: 'single', label: '1 text a request, 10 connections', connections: 10, textsPerRequest: 1, bodies: single },
    { key: 'batch', label: `${BATCH} texts a request, 4 connections`, connections: 4, textsPerRequest: BATCH, bodies: batches },
  ];
  const trainFile = path.join(out, 'spam-train.jsonl');
  writeFileSync(trainFile, train.map((m) => JSON.stringify({ text: m.text, label: m.label })).join('\n') + '\n');
  const cores = os.cpus().length;
  const started = { date: new Date().toISOString(), commit: commit() };
  const idleThreshold = options.idlePerCore * cores;

  let running: RunningSide | null = null;
  const registry = await makeRegistry();
  try {
    const peer = options.peer ? preparePeer(trainFile, log) : '--no-peer';
    if (typeof peer === 'string') log(`mlflow peer skipped: ${peer}`);

    // Nightshift's registry: two versions trained on the training split, v1 in production.
    const setup = await registry.start();
    let versions: { model: number; v1: { id: number; version: number }; v2: { id: number; version: number } };
    {
      const db = createPool(setup.databaseUrl);
      try {
        await migrate(db);
        const model = await ensureModel(db, MODEL);
        log('nightshift: training two versions on the training split');
        const v1 = await writeVersion(db, model.id, train, 1, 'v1');
        const v2 = await writeVersion(db, model.id, train, 2, 'v2');
        await promoteTo(db, model.id, v1.id, 'v1');
        versions = { model: model.id, v1, v2 };
      } finally {
        await db.end();
      }
    }
    await setup.stop();

    const replies: ServeBenchReport['replies'] = {};
    const runs: SideRun[] = [];
    const sides: SideName[] = typeof peer === 'string' ? ['nightshift'] : ['nightshift', 'mlflow'];
    for (let round = 1; round <= options.repeats; round++) {
      for (const name of sides) {
        log(`round ${round}/${options.repeats}: ${name}: starting`);
        const side: RunningSide = name === 'nightshift' ? await startNightshift(registry) : await startMlflow(peer as Peer);
        running = side;
        replies[name] ??= await replyShape(side, single[0]);
        for (const load of loads) await runLoad(autocannon, side, load, WARM_UP_SECONDS);
        if (name === 'nightshift') await drainLog(side.url);
        log(
          `round ${round}: ${name}: waiting (at most ${options.idleWaitSeconds} s) for the 1-minute load average below ${idleThreshold.toFixed(2)}`,
        );
        const idle = await waitForIdle(idleThreshold, options.idleWaitSeconds);
        log(
          `round ${round}: ${name}: load average ${idle.loadAverage.map((l) => l.toFixed(2)).join(' ')}${idle.idle ? '' : ' (NOT idle)'}; loads`,
        );
        const results = {} as SideRun['loads'];
        for (const load of loads) {
          results[load.key] =
            name === 'nightshift'
              ? await runLoadLogged(autocannon, side, load, options.seconds)
              : await runLoad(autocannon, side, load, options.seconds);
        }
        runs.push({ side: name, round, idle, loads: results });
        await side.stop();
        running = null;
      }
    }

    let extras: Extras | null = null;
    if (options.extras) {
      log('nightshift (extras): promotion under load, soak, feedback');
      const ns = await startNightshift(registry);
      running = ns;
      extras = await benchExtras(autocannon, ns, versions, loads[0], test, options);
      await ns.stop();
      running = null;
    }
    return {
      header: {
        machine: `${cores} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
        uname: spawnSync('uname', ['-a'], { encoding: 'utf8' }).stdout.trim(),
        cores,
        node: process.version,
        date: started.date,
        commit: started.commit,
        command,
        peerVersions: typeof peer === 'string' ? '' : peer.versions,
      },
      options,
      texts: texts.length,
      idleThreshold,
      isolation: registry.external
        ? "Nightshift's server is stopped before each peer run; its PostgreSQL (DATABASE_URL, not this bench's) keeps running through the peer's runs"
        : "each side alone: Nightshift's server and its embedded PostgreSQL are stopped before each peer run and started again (same data) for the next Nightshift run; the peer is stopped before each Nightshift run",
      loads: loads.map((l) => ({ key: l.key, label: l.label })),
      replies,
      runs,
      peerSkipped: typeof peer === 'string' ? peer : null,
      extras,
      logText: process.env.BENCH_SERVE_LOG_TEXT !== '0',
    };
  } finally {
    if (running) await running.stop().catch(() => undefined);
    await registry.cleanup().catch(() => undefined);
  }
}

async function benchExtras(
  autocannon: Autocannon,
  ns: RunningSide & { serverLog: () => string; databaseUrl: string },
  versions: { model: number; v1: { id: number; version: number }; v2: { id: number; version: number } },
  singleLoad: LoadSpec,
  test: Array<{ text: string; label: string }>,
  options: ServeBenchOptions,
): Promise<Extras> {
  const db = createPool(ns.databaseUrl);
  try {
    // A promotion under load: a client probes for the new version right after the commit.
    const promotion = await (async () => {
      const loadRun = runLoad(autocannon, ns, singleLoad, options.seconds);
      await new Promise((r) => setTimeout(r, (options.seconds * 1000) / 3));
      await promoteTo(db, versions.model, versions.v2.id, 'v2');
      const committed = performance.now();
      let observed = NaN;
      for (let i = 0; i < 5000; i++) {
        const res = await fetch(`${ns.url}${ns.invocations}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: singleLoad.bodies[0],
        });
        const body = (await res.json()) as { model_version?: string };
        if (body.model_version === String(versions.v2.version)) {
          observed = performance.now() - committed;
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      const r = await loadRun;
      const serverMs = /now serving v\d+ \(was v\d+\); loaded and verified in (\d+) ms/.exec(ns.serverLog())?.[1];
      return {
        total: r.total,
        failed: r.failed,
        fromVersion: versions.v1.version,
        toVersion: versions.v2.version,
        clientObservedMs: observed,
        serverLoadMs: serverMs === undefined ? null : Number(serverMs),
      };
    })();

    const rssMb: number[] = [memoryOf(ns).servingRssMb];
    let lastSample = Date.now();
    await runLoad(autocannon, ns, singleLoad, options.soakSeconds, (m) => {
      if (Date.now() - lastSample >= Math.max(1000, (options.soakSeconds * 1000) / 12)) {
        rssMb.push(m.servingRssMb);
        lastSample = Date.now();
      }
    });
    rssMb.push(memoryOf(ns).servingRssMb);
    const metrics = await (await fetch(`${ns.url}/metrics`)).text();
    const dropped = /nightshift_prediction_log_dropped_total (\d+)/.exec(metrics)?.[1];
    const feedback = await benchFeedback(ns.url, ns.invocations, test);
    return {
      promotion,
      soak: { seconds: options.soakSeconds, rssMb },
      logDropped: dropped === undefined ? null : Number(dropped),
      feedback,
    };
  } finally {
    await db.end();
  }
}

// ---------------------------------------------------------------------------------------------
// The report.

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** "median (min..max)" with `digits` decimals. */
function spread(xs: number[], digits: number): string {
  const f = (x: number) => x.toFixed(digits);
  return `${f(median(xs))} (${f(Math.min(...xs))}..${f(Math.max(...xs))})`;
}

/** The side's CPU time per answered text, in ms. */
const cpuMsPerText = (x: LoadResult): number => (1000 * x.stackCores) / x.textsPerSecond;

const SIDE_LABEL: Record<SideName, string> = { nightshift: 'nightshift', mlflow: 'mlflow models serve' };

/** What each side does per request: from the code of both (and the replies printed beside it). */
function workLines(r: ServeBenchReport): string[] {
  const rows: Array<[string, string, string]> = [
    [
      'process',
      'one Node.js process (Fastify, one main thread), run through tsx (bin/run-ts.js) as in development',
      'one uvicorn worker (--workers 1), started by the `mlflow` CLI',
    ],
    [
      'model',
      'own tokenizer + murmur3 feature hashing (2^18 buckets) + a linear softmax',
      'scikit-learn Pipeline: HashingVectorizer(2^18) + SGDClassifier(log_loss), pyfunc predict on a pandas DataFrame',
    ],
    ['reply per text', 'label, probability of every label, prediction_id', 'label only (predict: no probabilities, no id)'],
    [
      'prediction log',
      `every prediction to PostgreSQL (id, version, label, probabilities, latency, text hash${r.logText ? ' and text' : ''}), batched off the request path`,
      'none',
    ],
    [
      'micro-batching',
      'concurrent requests read in one event-loop turn predicted in one call (up to 256 texts)',
      'none: each request predicted alone',
    ],
    [
      'request log',
      'none (Fastify logger off); Prometheus counters and histograms updated per request',
      'uvicorn access log, a line per request (to a file)',
    ],
  ];
  const lines = ['What each side does per request (both get the same JSON body: dataframe_split with a text column):'];
  for (const [what, ns, peer] of rows) lines.push(`  ${what}`, `    nightshift: ${ns}`, `    mlflow:     ${peer}`);
  lines.push('  reply to one text (as received in this run):');
  for (const side of ['nightshift', 'mlflow'] as SideName[]) {
    if (r.replies[side]) lines.push(`    ${`${side}:`.padEnd(11)} ${r.replies[side]}`);
  }
  return lines;
}

export function printServeReport(r: ServeBenchReport): string {
  const h = r.header;
  const o = r.options;
  const sides = [...new Set(r.runs.map((x) => x.side))];
  const notIdle = r.runs.filter((x) => !x.idle.idle).length;
  const lines = [
    `Model server against mlflow models serve: ${r.texts} SpamAssassin test texts, autocannon in the bench process over loopback, ${o.seconds} s per load`,
    `  machine: ${h.uname}`,
    `  cores: ${h.cores}; ${h.machine}; node ${h.node}${h.peerVersions ? `; peer: ${h.peerVersions}` : ''}`,
    `  date ${h.date}; commit ${h.commit}`,
    `  command: ${h.command}`,
    `  order: ${o.repeats} rounds, each a nightshift run then a peer run (${sides.map((s) => (s === 'nightshift' ? 'N' : 'P')).join(' ')} x ${o.repeats}); a run starts its side, warms up (${WARM_UP_SECONDS} s of each load, not counted), checks the machine idle, then runs each load once`,
    `  other side: ${r.isolation}`,
    `  idle check: before each run's loads, wait at most ${o.idleWaitSeconds} s for the 1-minute load average below ${r.idleThreshold.toFixed(2)} (${o.idlePerCore} per core x ${h.cores} cores); ` +
      (notIdle === 0
        ? 'every run started idle'
        : `${notIdle} of ${r.runs.length} runs did NOT get idle and went ahead (marked NOT idle below)`),
  ];
  if (r.peerSkipped) lines.push(`  mlflow models serve: skipped (${r.peerSkipped})`);
  lines.push('', ...workLines(r), '');

  // Summary: medians and spread over the rounds.
  const digitsFor = (xs: number[]) => (median(xs) < 100 ? 1 : 0);
  const spreadAuto = (xs: number[]) => spread(xs, digitsFor(xs));
  const groupLabel = (load: { label: string }, i: number) => (i === 0 ? load.label : '').padEnd(34);
  lines.push(
    `Medians over ${o.repeats} runs a side (min..max); latency as autocannon reports it, in whole ms:`,
    `  ${'load'.padEnd(34)} ${'side'.padEnd(20)} ${'req/s'.padStart(19)} ${'texts/s'.padStart(19)} ${'p50 ms'.padStart(19)} ${'p99 ms'.padStart(19)} ${'failed'.padStart(6)}`,
  );
  for (const load of r.loads) {
    sides.forEach((side, i) => {
      const rs = r.runs.filter((x) => x.side === side).map((x) => x.loads[load.key]);
      lines.push(
        `  ${groupLabel(load, i)} ${SIDE_LABEL[side].padEnd(20)} ${spreadAuto(rs.map((x) => x.requestsPerSecond)).padStart(19)} ` +
          `${spreadAuto(rs.map((x) => x.textsPerSecond)).padStart(19)} ${spread(
            rs.map((x) => x.p50Ms),
            1,
          ).padStart(19)} ${spread(
            rs.map((x) => x.p99Ms),
            1,
          ).padStart(19)} ${String(rs.reduce((s, x) => s + x.failed, 0)).padStart(6)}`,
      );
    });
  }
  if (sides.includes('mlflow')) {
    const ratio = (key: LoadSpec['key'], f: (x: LoadResult) => number) => {
      const per = [];
      for (let round = 1; round <= o.repeats; round++) {
        const n = r.runs.find((x) => x.side === 'nightshift' && x.round === round);
        const p = r.runs.find((x) => x.side === 'mlflow' && x.round === round);
        if (n && p) per.push(f(n.loads[key]) / f(p.loads[key]));
      }
      const med = (side: SideName) => median(r.runs.filter((x) => x.side === side).map((x) => f(x.loads[key])));
      return `${(med('nightshift') / med('mlflow')).toFixed(1)}x (per round ${per.map((x) => `${x.toFixed(1)}x`).join(', ')})`;
    };
    const medOf = (side: SideName, f: (x: LoadResult) => number) =>
      median(r.runs.filter((x) => x.side === side).map((x) => f(x.loads.single)));
    lines.push(
      `  nightshift / mlflow, single-text req/s: ${ratio('single', (x) => x.requestsPerSecond)}; 64-text texts/s: ${ratio('batch', (x) => x.textsPerSecond)}`,
      `  single-text latency: nightshift p99 ${medOf('nightshift', (x) => x.p99Ms).toFixed(1)} ms, mlflow p50 ${medOf('mlflow', (x) => x.p50Ms).toFixed(1)} ms (medians)`,
    );
  }

  // Memory and CPU.
  lines.push(
    '',
    'Memory (MB, peak of 1 s samples during the load; median over runs, min..max) and CPU (cores, during the load; median):',
    "  stack CPU ms a text = the side's CPU time during the load over the texts it answered (less sensitive to other work than req/s, not immune: caches are shared)",
    '  serving = the serving processes alone: nightshift its node server process; mlflow its uvicorn process tree, without the `mlflow` CLI parent',
    `  stack   = everything the side runs: nightshift its server + ${r.isolation.includes('DATABASE_URL') ? 'nothing else (PostgreSQL is DATABASE_URL, not measured)' : "PostgreSQL's processes (the prediction log's writes)"}; mlflow the full tree from the \`mlflow\` CLI`,
    "  RSS sums count pages shared between processes (PostgreSQL's shared buffers) once per process; PSS counts them once",
    `  ${'load'.padEnd(34)} ${'side'.padEnd(20)} ${'serving RSS'.padStart(16)} ${'stack RSS'.padStart(16)} ${'stack PSS'.padStart(16)} ${'stack CPU'.padStart(10)} ${'stack CPU ms a text'.padStart(22)} ${'other work CPU'.padStart(15)}`,
  );
  for (const load of r.loads) {
    sides.forEach((side, i) => {
      const rs = r.runs.filter((x) => x.side === side).map((x) => x.loads[load.key]);
      const mb = (f: (m: MemorySample) => number) =>
        spread(
          rs.map((x) => f(x.memory)),
          0,
        ).padStart(16);
      lines.push(
        `  ${groupLabel(load, i)} ${SIDE_LABEL[side].padEnd(20)} ${mb((m) => m.servingRssMb)} ${mb((m) => m.stackRssMb)} ${mb((m) => m.stackPssMb)} ` +
          `${median(rs.map((x) => x.stackCores))
            .toFixed(2)
            .padStart(10)} ${spread(
            rs.map((x) => cpuMsPerText(x)),
            3,
          ).padStart(22)} ${median(rs.map((x) => x.otherCores))
            .toFixed(2)
            .padStart(15)}`,
      );
    });
  }

  // Every run.
  lines.push(
    '',
    'Every run (load average 1/5/15 min when its loads started; other work = busy CPU of the machine less the bench process and the side):',
  );
  for (const run of r.runs) {
    const i = run.idle;
    lines.push(
      `  round ${run.round} ${SIDE_LABEL[run.side].padEnd(20)} load average ${i.loadAverage.map((l) => l.toFixed(2)).join(' ')} after waiting ${i.waitedSeconds.toFixed(0)} s${i.idle ? '' : ', NOT idle'}`,
    );
    for (const load of r.loads) {
      const x = run.loads[load.key];
      const logged = x.log
        ? `; log ${x.log.written} rows written, ${x.log.dropped} dropped, ` +
          (x.log.buffered === 0 ? `buffer empty ${x.log.drainSeconds.toFixed(1)} s after` : `${x.log.buffered} still buffered after 60 s`)
        : '';
      lines.push(
        `    ${load.label.padEnd(34)} ${x.requestsPerSecond.toFixed(0).padStart(6)} req/s ${x.textsPerSecond.toFixed(0).padStart(6)} texts/s  p50 ${x.p50Ms.toFixed(1).padStart(5)} ms  p99 ${x.p99Ms.toFixed(1).padStart(6)} ms  ` +
          `failed ${x.failed}  serving ${x.memory.servingRssMb.toFixed(0)} MB, stack ${x.memory.stackRssMb.toFixed(0)} MB RSS / ${x.memory.stackPssMb.toFixed(0)} MB PSS  ` +
          `CPU ${x.stackCores.toFixed(2)} (${cpuMsPerText(x).toFixed(3)} ms a text), other ${x.otherCores.toFixed(2)}${logged}`,
      );
    }
  }

  const e = r.extras;
  if (e) {
    const f = e.feedback;
    const fmt = (x: Record<string, number>) =>
      Object.entries(x)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
    const p = e.promotion;
    lines.push(
      '',
      'Nightshift alone, after the rounds (not idle-checked):',
      `  promotion under load: v${p.fromVersion} -> v${p.toVersion} during ${p.total} requests, ${p.failed} failed; new version answering ` +
        `${p.clientObservedMs.toFixed(0)} ms after the commit (server: load + sha256 check + swap ${p.serverLoadMs ?? '?'} ms)`,
      `  serving RSS over ${e.soak.seconds} s of single-text load (MB): ${e.soak.rssMb.map((m) => m.toFixed(0)).join(' ')}; prediction log drops ${e.logDropped ?? '?'}`,
      `  feedback: ${f.items} items in batches of ${f.batch}, one request at a time: ${f.itemsPerSecond.toFixed(0)} items/s` +
        ` (${f.seconds.toFixed(1)} s; ${fmt(f.counts)}; examples: ${fmt(f.examples)}); the same items again: ${f.repeatItemsPerSecond.toFixed(0)} items/s`,
    );
  }
  return lines.join('\n');
}

/** `npm run bench -- serve [options]`: runs the bench, prints the report, writes it to --out too. */
export async function runServeFromArgs(argv: string[], command: string): Promise<string> {
  const options = parseServeArgs(argv);
  if (options === 'help') return SERVE_BENCH_HELP.trimEnd();
  // The environment the bench reads is part of the command (a database URL's password is not).
  const env = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_SERVE_') || k === 'MLFLOW_VENV' || k === 'DATABASE_URL')
    .map(([k, v]) => (k === 'DATABASE_URL' ? 'DATABASE_URL=...' : `${k}=${v}`));
  const report = await benchServe(options, [...env, command].join(' '));
  // The figures as data too (bench/out is not committed), to read or print again.
  writeFileSync(path.join(out, 'serve-last.json'), JSON.stringify(report, null, 2) + '\n');
  const text = printServeReport(report);
  if (options.out) writeFileSync(options.out, text + '\n');
  return text;
}

if (
  process.env.NIGHTSHIFT_BENCH_SERVE_CHILD !== '1' &&
  process.argv[1] &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  const argv = process.argv.slice(2);
  process.stdout.write((await runServeFromArgs(argv, ['node bin/run-ts.js bench/serve.ts', ...argv].join(' '))) + '\n');
  process.exit(0);
}
