/**
 * `nightshift up`: starts what the environment does not give (Temporal dev server, PostgreSQL),
 * migrates, seeds the demo model, runs a worker, starts one retraining run (or follows the one
 * already in flight, say after this command was killed) and prints its decision; then serves
 * until Ctrl-C (or exits with --once). Every way out stops what it started within the shutdown
 * grace period; a second Ctrl-C stops everything at once.
 */
import { configSource, type ConfigInput } from './connect.ts';
import { log } from '../output.ts';
import { modelFlag, parse } from './args.ts';
import { DEMO_MODEL_NAME } from './data.ts';

/** What `up` was asked to do. */
export interface UpOptions {
  model: string;
  once: boolean;
  json: boolean;
  worker: boolean;
  run: boolean;
  schedule: boolean;
  /** Start the model server (not with --once or --no-serve). */
  serve: boolean;
}

/** The command line. */
function parseUpOptions(argv: string[]): UpOptions {
  const { values } = parse(argv, {
    once: { type: 'boolean' },
    json: { type: 'boolean' },
    'no-worker': { type: 'boolean' },
    'no-run': { type: 'boolean' },
    'no-schedule': { type: 'boolean' },
    'no-serve': { type: 'boolean' },
    model: { type: 'string' },
  });
  const worker = !values['no-worker'];
  return {
    model: modelFlag(values.model ?? DEMO_MODEL_NAME, 'up'),
    once: values.once ?? false,
    json: values.json ?? false,
    worker,
    run: worker && !values['no-run'],
    schedule: !values['no-schedule'],
    serve: !values.once && !values['no-serve'],
  };
}

export async function up(argv: string[], loadConfigInput: ConfigInput): Promise<number> {
  const loadConfig = configSource(loadConfigInput);
  const options = parseUpOptions(argv);
  const [
    config,
    { preparePrivateHome },
    { readStackFile },
    { claimStackLock },
    { shutdownGrace },
    { installRuntime },
    supervision,
    start,
    schedules,
    { runOrFollow },
  ] = await Promise.all([
    loadConfig(),
    import('../../stack/pg-credentials.ts'),
    import('../../stack/stack-file.ts'),
    import('../../stack/home-lock.ts'),
    import('../../stack/shutdown-grace.ts'),
    import('../../worker/telemetry.ts'),
    import('./up-parts.ts'),
    import('./up-start.ts'),
    import('./up-schedules.ts'),
    import('./up-run.ts'),
  ]);
  preparePrivateHome(config.home);
  const running = readStackFile(config.home);
  if (running) throw new Error(`a Nightshift stack is already running for ${config.home} (pid ${running.pid}); stop it first`);
  const stackLock = await claimStackLock(config.home); // held through start-up: a second `up` is refused, not let in
  const grace = shutdownGrace();
  installRuntime({ shutdownSignals: [] });
  const parts = new supervision.StartedParts(grace.ms);
  const signals = supervision.handleSignals(parts);
  try {
    const { temporal, registry } = await start.startServices(config, parts);
    start.advertiseStack(config, temporal, registry, parts);
    await start.seedDemo(registry, options.model);
    const serveUrl = options.serve ? await start.startServer(config, registry, parts) : null;
    const worker = options.worker ? await start.startLocalWorker(config, temporal, registry, parts, grace.text) : null;
    const client = await start.connectTemporalClient(config, temporal, parts);
    if (options.schedule) await schedules.ensureSchedule(client, config, options.model);
    if (options.schedule) await schedules.ensureMonitorSchedule(client, config, registry, options.model);
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
