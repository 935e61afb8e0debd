/**
 * `nightshift up`: starts what the environment does not give (Temporal dev server, PostgreSQL),
 * migrates, seeds the demo model, runs a worker, starts one retraining run and prints its
 * decision; then serves until Ctrl-C (or exits with --once).
 */
import { mkdirSync } from 'node:fs';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import type { Worker } from '@temporalio/worker';
import type { Config } from '../../stack/config.ts';
import { findTemporalCli } from '../../stack/temporal-cli.ts';
import { startDevServer, waitForTemporal, type DevServer } from '../../stack/temporal-server.ts';
import { openRegistry, runUiLink, type Registry } from '../../stack/stack.ts';
import { readStackFile, removeStackFile, writeStackFile } from '../../stack/stack-file.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { demoHasData, releaseNextBatch, DEMO_MODEL } from '../../activities/data/spam-demo.ts';
import { connectClient, startRetrain } from '../runs.ts';
import { scheduleId, upsertSchedule } from '../schedules.ts';
import { formatRunResult, log, printJson } from '../output.ts';
import { parse } from './args.ts';
import type { RunResult } from '../../workflows/definitions.ts';

export const UP_HELP = `Usage: nightshift up [--once] [--json] [--no-worker] [--no-run] [--no-schedule] [--model NAME]

Starts the embedded stack (Temporal dev server with its Web UI, PostgreSQL) unless TEMPORAL_ADDRESS
or DATABASE_URL point elsewhere, migrates the registry, seeds the demo model "spam" from the
SpamAssassin corpus if it has no data, creates (or updates) the model's nightly schedule, runs a
worker, starts one retraining run and prints its decision with the Temporal UI link. Then serves
until Ctrl-C.

  --once        exit after the run, printing its decision
  --json        print the run's decision record as one JSON document on stdout
  --no-worker   run no worker here (start \`npm run worker\` processes instead); implies --no-run
  --no-run      start no retraining run
  --no-schedule create no nightly schedule
  --model NAME  the model to retrain (default spam)

State lives in NIGHTSHIFT_HOME (default ./.nightshift).`;

export async function up(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, {
    once: { type: 'boolean' },
    json: { type: 'boolean' },
    'no-worker': { type: 'boolean' },
    'no-run': { type: 'boolean' },
    'no-schedule': { type: 'boolean' },
    model: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(UP_HELP + '\n');
    return 0;
  }
  const model = values.model ?? DEMO_MODEL;
  mkdirSync(config.home, { recursive: true });
  const running = readStackFile(config.home);
  if (running) throw new Error(`a Nightshift stack is already running for ${config.home} (pid ${running.pid}); stop it first`);

  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const cleanups: Array<() => Promise<void>> = [];
  const shutdown = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) await fn().catch((err: Error) => log(`shutdown: ${err.message}`));
    cleanups.length = 0;
  };

  try {
    let devServer: DevServer | null = null;
    const temporalPromise = (async () => {
      if (config.temporalAddress) {
        await waitForTemporal(config.temporalAddress, 5000).catch(() => {
          throw new Error(`cannot reach Temporal at TEMPORAL_ADDRESS=${config.temporalAddress}`);
        });
        return { address: config.temporalAddress, uiUrl: null as string | null };
      }
      const cli = await findTemporalCli();
      log(`starting Temporal dev server (${cli}) on port ${config.temporalPort}, UI on ${config.uiPort}`);
      devServer = await startDevServer({
        cli,
        home: config.home,
        port: config.temporalPort,
        uiPort: config.uiPort,
        namespace: config.namespace,
      });
      return { address: devServer.address, uiUrl: devServer.uiUrl as string | null };
    })();
    const registryPromise = openRegistry(config);
    const [temporalResult, registryResult] = await Promise.allSettled([temporalPromise, registryPromise]);
    if (devServer) cleanups.push(() => devServer!.stop());
    if (registryResult.status === 'fulfilled') cleanups.push(() => registryResult.value.close());
    if (temporalResult.status === 'rejected') throw temporalResult.reason;
    if (registryResult.status === 'rejected') throw registryResult.reason;
    const temporal = temporalResult.value;
    const registry: Registry = registryResult.value;

    writeStackFile(config.home, {
      pid: process.pid,
      temporalAddress: temporal.address,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      uiUrl: temporal.uiUrl,
      databaseUrl: registry.databaseUrl,
      startedAt: new Date().toISOString(),
    });
    cleanups.push(async () => removeStackFile(config.home));
    log(`registry: ${registry.databaseUrl.replace(/:[^:@/]*@/, ':***@')}`);
    if (temporal.uiUrl) log(`Temporal Web UI: ${temporal.uiUrl}`);

    if (model === DEMO_MODEL && !(await demoHasData(registry.db))) {
      const batch = await releaseNextBatch(registry.db);
      log(`seeded model ${DEMO_MODEL}: batch ${batch.batch}, ${batch.accepted} SpamAssassin messages dated ${batch.from} .. ${batch.to}`);
    }

    let worker: Worker | null = null;
    let workerDone: Promise<void> | null = null;
    if (!values['no-worker']) {
      const connection = await NativeConnection.connect({ address: temporal.address });
      worker = await createWorker({
        connection,
        namespace: config.namespace,
        taskQueue: config.taskQueue,
        db: registry.db,
        bundleCacheDir: config.home,
      });
      workerDone = worker.run();
      cleanups.push(async () => {
        if (worker && worker.getState() === 'RUNNING') worker.shutdown();
        await workerDone;
        await connection.close();
      });
      log(`worker polling task queue ${config.taskQueue}`);
    }

    const { client, close } = await connectClient({
      address: temporal.address,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      uiUrl: temporal.uiUrl,
    });
    cleanups.push(close);
    if (!values['no-schedule']) {
      const what = await upsertSchedule(client, { model, taskQueue: config.taskQueue });
      log(`nightly schedule ${scheduleId(model)} ${what} (02:00 UTC; \`nightshift schedule describe --model ${model}\`)`);
    }

    let result: RunResult | null = null;
    if (!values['no-worker'] && !values['no-run']) {
      const handle = await startRetrain(client, config.taskQueue, { model, trigger: 'startup' });
      const link = runUiLink(temporal.uiUrl, config.namespace, handle.workflowId, handle.firstExecutionRunId);
      log(`started run ${handle.workflowId}${link ? `\n  ${link}` : ''}`);
      result = (await Promise.race([
        handle.result(),
        workerDone?.then(() => {
          throw new Error('the worker stopped before the run finished');
        }),
      ])) as RunResult;
      if (values.json) printJson(result);
      else process.stdout.write(formatRunResult(result, link) + '\n');
    }

    if (values.once) {
      await shutdown();
      return 0;
    }
    log('serving; press Ctrl-C to stop');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log('shutting down');
    await shutdown();
    return 0;
  } catch (err) {
    await shutdown();
    throw err;
  }
}
