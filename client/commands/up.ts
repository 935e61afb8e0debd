/**
 * `nightshift up`: starts what the environment does not give (Temporal dev server, PostgreSQL),
 * migrates, seeds the demo model, runs a worker, starts one retraining run (or follows the one
 * already in flight, say after this command was killed) and prints its decision; then serves
 * until Ctrl-C (or exits with --once). Every way out stops what it started within the shutdown
 * grace period; a second Ctrl-C stops everything at once.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../stack/config.ts';
import { findTemporalCli } from '../../stack/temporal-cli.ts';
import { codecEndpointFor, startDevServer, waitForTemporal } from '../../stack/temporal-server.ts';
import { connectTemporalNative, PLAINTEXT, type TemporalSecurity } from '../../stack/temporal-connection.ts';
import { installRuntime } from '../../worker/telemetry.ts';
import { resolveTemporal, runUiLink } from '../../stack/stack.ts';
import { openRegistry, type Registry } from '../../registry/open.ts';
import { readStackFile, removeStackFile, writeSharedDatabaseUrl, writeStackFile } from '../../stack/stack-file.ts';
import { preparePrivateHome } from '../../stack/pg-credentials.ts';
import { claimStackLock } from '../../stack/home-lock.ts';
import { shutdownGrace } from '../../stack/shutdown-grace.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { demoHasData, releaseNextBatch, DEMO_MODEL } from '../../data/spam-demo.ts';
import { connectClient, listRuns, RunAlreadyRunningError, startRetrain } from '../../runs/client.ts';
import { createSchedule, scheduleId } from '../schedules.ts';
import { upsertMonitorSchedule } from '../monitor-schedules.ts';
import { startModelServer } from '../../serve/server.ts';
import { findModel } from '../../registry/models.ts';
import { currentMonitorPolicy } from '../../registry/monitoring.ts';
import { resolveMonitorPolicy } from '../../ml/monitor-policy.ts';
import { isDuration } from '../../stack/durations.ts';
import { monitorScheduleId, SEARCH_ATTRIBUTES } from '../../workflows/definitions.ts';
import { formatRunResult, log, printJson } from '../output.ts';
import { parse } from './args.ts';
import type { RunResult } from '../../workflows/definitions.ts';
import type { retrainModel } from '../../workflows/index.ts';

export const UP_HELP = `Usage: nightshift up [--once] [--json] [--no-worker] [--no-run] [--no-schedule] [--no-serve] [--model NAME]

Starts the embedded stack (Temporal dev server with its Web UI, PostgreSQL) unless TEMPORAL_ADDRESS
or DATABASE_URL point elsewhere, migrates the registry, seeds the demo model "spam" from the
SpamAssassin corpus if it has no data, starts the model server with its dashboard (on
NIGHTSHIFT_SERVE_PORT, default 8080), creates the model's nightly schedule (one that exists is kept) and its
monitor schedule (monitor-<model>), runs a worker, starts one retraining run (or follows the
model's run already in progress) and prints its decision with the Temporal UI link. Then serves
until Ctrl-C (a second Ctrl-C stops at once).

  --once        exit after the run, printing its decision (starts no model server: nothing would
                be served)
  --json        print the run's decision record as one JSON document on stdout
  --no-worker   run no worker here (start \`npm run worker\` processes instead); implies --no-run
  --no-run      start no retraining run
  --no-schedule create neither the nightly schedule nor the monitor schedule
  --no-serve    start no model server (run \`nightshift serve\` elsewhere)
  --model NAME  the model to retrain (default spam)

State lives in NIGHTSHIFT_HOME (default ./.nightshift); shutdown waits at most
NIGHTSHIFT_SHUTDOWN_GRACE (default 10s) for work in flight.`;

interface UpOptions {
  model: string;
  once: boolean;
  json: boolean;
  worker: boolean;
  run: boolean;
  schedule: boolean;
  /** Start the model server (not with --once or --no-serve). */
  serve: boolean;
}

interface TemporalEndpoint {
  address: string;
  uiUrl: string | null;
  /** TLS and API key of TEMPORAL_ADDRESS (stack/temporal-connection.ts); PLAINTEXT for the dev server. */
  security: TemporalSecurity;
}

/** The command line, or null after printing the help. */
function parseUpOptions(argv: string[]): UpOptions | null {
  const { values } = parse(argv, {
    once: { type: 'boolean' },
    json: { type: 'boolean' },
    'no-worker': { type: 'boolean' },
    'no-run': { type: 'boolean' },
    'no-schedule': { type: 'boolean' },
    'no-serve': { type: 'boolean' },
    model: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(UP_HELP + '\n');
    return null;
  }
  const worker = !values['no-worker'];
  return {
    model: values.model ?? DEMO_MODEL,
    once: values.once ?? false,
    json: values.json ?? false,
    worker,
    run: worker && !values['no-run'],
    schedule: !values['no-schedule'],
    serve: !values.once && !values['no-serve'],
  };
}

interface Step {
  name: string;
  graceful: (graceMs: number) => Promise<void>;
  now: () => Promise<void> | void;
}

/**
 * What `up` started, stopped in reverse order. close() gives the whole shutdown the grace period
 * (plus a margin for the servers' own escalation); a step still running then is abandoned and
 * the rest are stopped at once. closeNow() stops everything without waiting (a second Ctrl-C).
 * A step added after closing began (a start-up racing a Ctrl-C) is stopped at once.
 */
class StartedParts {
  private steps: Step[] = [];
  private closing: Promise<void> | null = null;

  constructor(private readonly graceMs: number) {}

  add(step: Step): void {
    if (this.closing) void Promise.resolve(step.now()).catch(() => undefined);
    else this.steps.push(step);
  }

  close(): Promise<void> {
    this.closing ??= this.closeInOrder();
    return this.closing;
  }

  async closeNow(): Promise<void> {
    const steps = this.steps.splice(0).reverse();
    await Promise.race([Promise.allSettled(steps.map(async (s) => s.now())), new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  private async closeInOrder(): Promise<void> {
    const deadline = Date.now() + this.graceMs + 5000;
    while (this.steps.length) {
      const step = this.steps.pop()!;
      const left = deadline - Date.now();
      if (left <= 0) {
        log(`shutdown: out of time; stopping ${[step, ...this.steps].map((s) => s.name).join(', ')} at once`);
        this.steps.push(step);
        return this.closeNow();
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        step
          .graceful(Math.min(this.graceMs, left))
          .then(() => false)
          .catch((err: Error) => {
            log(`shutdown: ${step.name}: ${err.message}`);
            return false;
          }),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), left))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log(`shutdown: ${step.name} did not stop in time; stopping it at once`);
        await Promise.resolve(step.now()).catch(() => undefined);
      }
    }
  }
}

/**
 * Ctrl-C (or SIGTERM): the first asks for a graceful stop (while serving, the command then ends
 * with 0; earlier, with 130); the second stops everything at once and exits 130.
 */
function handleSignals(parts: StartedParts): { stopRequested: Promise<void>; serving(): void; dispose(): void } {
  let signals = 0;
  let isServing = false;
  let requestStop: () => void = () => undefined;
  const stopRequested = new Promise<void>((r) => (requestStop = r));
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log(`${signal}: shutting down (again to stop at once)`);
      requestStop();
      if (!isServing) void parts.close().then(() => process.exit(130));
      return;
    }
    log(`${signal} again: stopping everything now`);
    void parts.closeNow().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopRequested,
    serving: () => (isServing = true),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** TEMPORAL_ADDRESS (or a TOML profile), or a dev server started here. */
async function startTemporal(config: Config, parts: StartedParts): Promise<TemporalEndpoint> {
  if (config.temporalAddress) {
    const endpoint = { address: config.temporalAddress, security: config.temporalSecurity };
    await waitForTemporal(endpoint, 5000).catch((err: Error) => {
      // A TLS setting at fault is named in the message; otherwise, say which address failed.
      if (/is not trusted|requires a client certificate|refused the TLS handshake|speaks TLS/.test(err.message)) throw err;
      throw new Error(`cannot reach Temporal at TEMPORAL_ADDRESS=${config.temporalAddress}: ${err.message}`);
    });
    return { ...endpoint, uiUrl: null };
  }
  const cli = await findTemporalCli();
  log(`starting Temporal dev server (${cli}) on port ${config.temporalPort}, UI on ${config.uiPort}`);
  const server = await startDevServer({
    searchAttributes: SEARCH_ATTRIBUTES,
    cli,
    home: config.home,
    port: config.temporalPort,
    uiPort: config.uiPort,
    namespace: config.namespace,
    // Encrypted payloads: the Web UI decodes them through the model server's codec endpoint.
    uiCodecEndpoint: codecEndpointFor(process.env, config.serveHost, config.servePort),
  });
  parts.add({ name: 'Temporal dev server', graceful: (ms) => server.stop(ms), now: () => server.kill() });
  return { address: server.address, uiUrl: server.uiUrl, security: PLAINTEXT };
}

/** The registry (supervised when embedded), kept open until shutdown. */
async function startRegistry(config: Config, parts: StartedParts): Promise<Registry> {
  const registry = await openRegistry(config, { supervise: true });
  parts.add({ name: 'PostgreSQL', graceful: () => registry.close(), now: () => registry.closeNow() });
  return registry;
}

/** Both at once; a failure of either stops the other (through `parts`) and is reported alone. */
async function startServices(config: Config, parts: StartedParts): Promise<{ temporal: TemporalEndpoint; registry: Registry }> {
  const [temporal, registry] = await Promise.allSettled([startTemporal(config, parts), startRegistry(config, parts)]);
  if (temporal.status === 'rejected') throw temporal.reason;
  if (registry.status === 'rejected') throw registry.reason;
  return { temporal: temporal.value, registry: registry.value };
}

/** stack.json for the home's other processes (no secret in it; an external DATABASE_URL goes to a 0600 file). */
function advertiseStack(config: Config, temporal: TemporalEndpoint, registry: Registry, parts: StartedParts): void {
  if (!registry.embedded) writeSharedDatabaseUrl(config.home, registry.databaseUrl);
  writeStackFile(config.home, {
    pid: process.pid,
    temporalAddress: temporal.address,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    uiUrl: temporal.uiUrl,
    database: registry.embedded ? 'embedded' : 'external',
    startedAt: new Date().toISOString(),
  });
  const remove = async (): Promise<void> => removeStackFile(config.home);
  parts.add({ name: 'stack file', graceful: remove, now: remove });
  log(`registry: ${registry.embedded ? `embedded PostgreSQL of ${config.home}` : 'DATABASE_URL'}`);
  if (temporal.uiUrl) log(`Temporal Web UI: ${temporal.uiUrl}`);
}

async function seedDemo(registry: Registry, model: string): Promise<void> {
  if (model !== DEMO_MODEL || (await demoHasData(registry.db))) return;
  const batch = await releaseNextBatch(registry.db);
  log(`seeded model ${DEMO_MODEL}: batch ${batch.batch}, ${batch.accepted} SpamAssassin messages dated ${batch.from} .. ${batch.to}`);
}

/** A worker in this process; resolves `stopped` when it stops (for whatever reason). */
async function startLocalWorker(
  config: Config,
  temporal: TemporalEndpoint,
  registry: Registry,
  parts: StartedParts,
  grace: string,
): Promise<{ stopped: Promise<void> }> {
  const connection = await connectTemporalNative(temporal);
  const worker = await createWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    db: registry.db,
    bundleCacheDir: config.home,
    shutdownGraceTime: grace,
  });
  const stopped = worker.run();
  void stopped.catch((err: Error) => log(`worker stopped: ${err.message}`));
  parts.add({
    name: 'worker',
    graceful: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await stopped.catch(() => undefined);
      await connection.close();
    },
    // The worker lives in this process: exiting ends it.
    now: () => undefined,
  });
  log(`worker polling task queue ${config.taskQueue}`);
  return { stopped };
}

async function connectTemporalClient(config: Config, temporal: TemporalEndpoint, parts: StartedParts): Promise<Client> {
  const { client, close } = await connectClient({ ...temporal, namespace: config.namespace, taskQueue: config.taskQueue });
  parts.add({ name: 'Temporal client', graceful: close, now: () => undefined });
  return client;
}

async function ensureSchedule(client: Client, config: Config, model: string): Promise<void> {
  const what = await createSchedule(client, { model, taskQueue: config.taskQueue }, 'keep'); // never replaces one set by hand
  log(
    `nightly schedule ${scheduleId(model)} ${what === 'kept' ? 'exists, kept' : `${what} (02:00 UTC)`} (\`nightshift schedule describe --model ${model}\`)`,
  );
}

/**
 * The model server, with the dashboard, on NIGHTSHIFT_SERVE_PORT: added to stack.json as serveUrl
 * (for \`nightshift demo traffic\` and people), stopped before PostgreSQL. A busy port is a warning.
 */
async function startServer(config: Config, registry: Registry, parts: StartedParts): Promise<string | null> {
  let server: Awaited<ReturnType<typeof startModelServer>>;
  try {
    server = await startModelServer({
      db: registry.db,
      databaseUrl: registry.databaseUrl,
      config,
      log,
      // The endpoint just advertised in stack.json (or TEMPORAL_ADDRESS), resolved as every client command does.
      temporal: () => resolveTemporal(config),
    });
  } catch (err) {
    // The stack's work (runs, schedules, the monitor) goes on without the server: say so loudly.
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      log(
        `WARNING: no model server or dashboard: port ${config.servePort} is already in use (set NIGHTSHIFT_SERVE_PORT to a free port, or pass --no-serve)`,
      );
      return null;
    }
    throw err;
  }
  parts.add({ name: 'model server', graceful: () => server.close(), now: () => void server.close().catch(() => undefined) });
  const stack = readStackFile(config.home);
  if (stack) writeStackFile(config.home, { ...stack, serveUrl: server.url });
  log(`model server: ${server.url} (dashboard at ${server.url}/)`);
  return server.url;
}

/** The monitor's schedule, at the interval of the model's monitor policy (the default's until one is set). */
async function ensureMonitorSchedule(client: Client, config: Config, registry: Registry, model: string): Promise<void> {
  const found = await findModel(registry.db, model);
  const { policy, source } = resolveMonitorPolicy(found ? await currentMonitorPolicy(registry.db, found.id) : null, isDuration);
  const what = await upsertMonitorSchedule(client, model, policy.every, config.taskQueue);
  log(
    `monitor schedule ${monitorScheduleId(model)} ${what} (every ${policy.every}, ${source}; \`nightshift monitor policy --model ${model}\`)`,
  );
}

/**
 * Starts a run, or follows the model's run already in flight (one started before a crash of an
 * earlier `up`, say) so it finishes here; prints its decision.
 */
async function runOrFollow(
  client: Client,
  config: Config,
  temporal: TemporalEndpoint,
  options: UpOptions,
  workerStopped: Promise<void>,
): Promise<RunResult> {
  let handle: WorkflowHandle<typeof retrainModel>;
  let runId: string;
  let verb = 'following run already in progress';
  // A run whose worker died before it took the run slot holds no slot yet, but is in flight all the same.
  const [inFlight] = await listRuns(client, options.model, { running: true, limit: 1 });
  if (inFlight) {
    handle = client.workflow.getHandle<typeof retrainModel>(inFlight.workflowId, inFlight.runId);
    runId = inFlight.runId;
  } else {
    try {
      const started = await startRetrain(client, config.taskQueue, { model: options.model, trigger: 'startup' });
      handle = started;
      runId = started.firstExecutionRunId;
      verb = 'started run';
    } catch (err) {
      if (!(err instanceof RunAlreadyRunningError)) throw err;
      handle = client.workflow.getHandle<typeof retrainModel>(err.workflowId, err.runId);
      runId = err.runId;
    }
  }
  const link = runUiLink(temporal.uiUrl, config.namespace, handle.workflowId, runId);
  log(`${verb} ${handle.workflowId}${link ? `\n  ${link}` : ''}`);
  const result = await Promise.race([
    handle.result(),
    workerStopped.then(() => {
      throw new Error('the worker stopped before the run finished');
    }),
  ]);
  if (options.json) printJson(result);
  else process.stdout.write(formatRunResult(result, link) + '\n');
  return result;
}

export async function up(argv: string[], config: Config): Promise<number> {
  const options = parseUpOptions(argv);
  if (!options) return 0;
  preparePrivateHome(config.home);
  const running = readStackFile(config.home);
  if (running) throw new Error(`a Nightshift stack is already running for ${config.home} (pid ${running.pid}); stop it first`);
  const stackLock = await claimStackLock(config.home); // held through start-up: a second `up` is refused, not let in
  const grace = shutdownGrace();
  installRuntime({ shutdownSignals: [] });
  const parts = new StartedParts(grace.ms);
  const signals = handleSignals(parts);
  try {
    const { temporal, registry } = await startServices(config, parts);
    advertiseStack(config, temporal, registry, parts);
    await seedDemo(registry, options.model);
    const serveUrl = options.serve ? await startServer(config, registry, parts) : null;
    const worker = options.worker ? await startLocalWorker(config, temporal, registry, parts, grace.text) : null;
    const client = await connectTemporalClient(config, temporal, parts);
    if (options.schedule) await ensureSchedule(client, config, options.model);
    if (options.schedule) await ensureMonitorSchedule(client, config, registry, options.model);
    if (options.run && worker) await runOrFollow(client, config, temporal, options, worker.stopped);
    if (!options.once) {
      log(serveUrl ? `serving; dashboard at ${serveUrl}/ ; press Ctrl-C to stop` : 'serving; press Ctrl-C to stop');
      signals.serving();
      await signals.stopRequested;
    }
    await parts.close();
    return 0;
  } catch (err) {
    await parts.close();
    throw err;
  } finally {
    signals.dispose();
    stackLock.release();
  }
}
