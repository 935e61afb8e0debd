/**
 * The parts `nightshift up` starts, each added to its StartedParts as it comes up: the Temporal
 * dev server (or TEMPORAL_ADDRESS), PostgreSQL (the registry), the stack file for the home's other
 * processes, the model server, a worker and the Temporal client.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../../stack/config.ts';
import { findTemporalCli } from '../../stack/temporal-cli.ts';
import { codecEndpointFor, startDevServer, waitForTemporal } from '../../stack/temporal-server.ts';
import { connectTemporalNative, PLAINTEXT, type TemporalSecurity } from '../../stack/temporal-connection.ts';
import { resolveTemporal } from '../../stack/stack.ts';
import { openRegistry, type Registry } from '../../registry/open.ts';
import { readStackFile, writeSharedDatabaseUrl, writeStackFile, removeStackFile } from '../../stack/stack-file.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { demoHasData, releaseNextBatch, DEMO_MODEL } from '../../data/spam-demo.ts';
import { connectClient } from '../../runs/client.ts';
import { startModelServer } from '../../serve/server.ts';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions.ts';
import { log } from '../output.ts';
import type { StartedParts } from './up-parts.ts';

export interface TemporalEndpoint {
  address: string;
  uiUrl: string | null;
  /** TLS and API key of TEMPORAL_ADDRESS (stack/temporal-connection.ts); PLAINTEXT for the dev server. */
  security: TemporalSecurity;
}

/** TEMPORAL_ADDRESS (or a TOML profile), or a dev server started here. */
export async function startTemporal(config: Config, parts: StartedParts): Promise<TemporalEndpoint> {
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
export async function startRegistry(config: Config, parts: StartedParts): Promise<Registry> {
  const registry = await openRegistry(config, { supervise: true });
  parts.add({ name: 'PostgreSQL', graceful: () => registry.close(), now: () => registry.closeNow() });
  return registry;
}

/** Both at once; a failure of either stops the other (through `parts`) and is reported alone. */
export async function startServices(config: Config, parts: StartedParts): Promise<{ temporal: TemporalEndpoint; registry: Registry }> {
  const [temporal, registry] = await Promise.allSettled([startTemporal(config, parts), startRegistry(config, parts)]);
  if (temporal.status === 'rejected') throw temporal.reason;
  if (registry.status === 'rejected') throw registry.reason;
  return { temporal: temporal.value, registry: registry.value };
}

/** stack.json for the home's other processes (no secret in it; an external DATABASE_URL goes to a 0600 file). */
export function advertiseStack(config: Config, temporal: TemporalEndpoint, registry: Registry, parts: StartedParts): void {
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

export async function seedDemo(registry: Registry, model: string): Promise<void> {
  if (model !== DEMO_MODEL || (await demoHasData(registry.db))) return;
  const batch = await releaseNextBatch(registry.db);
  log(`seeded model ${DEMO_MODEL}: batch ${batch.batch}, ${batch.accepted} SpamAssassin messages dated ${batch.from} .. ${batch.to}`);
}

/** A worker in this process; resolves `stopped` when it stops (for whatever reason). */
export async function startLocalWorker(
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

export async function connectTemporalClient(config: Config, temporal: TemporalEndpoint, parts: StartedParts): Promise<Client> {
  const { client, close } = await connectClient({ ...temporal, namespace: config.namespace, taskQueue: config.taskQueue });
  parts.add({ name: 'Temporal client', graceful: close, now: () => undefined });
  return client;
}

/**
 * The model server, with the dashboard, on NIGHTSHIFT_SERVE_PORT: added to stack.json as serveUrl
 * (for \`nightshift demo traffic\` and people), stopped before PostgreSQL. A busy port is a warning.
 */
export async function startServer(config: Config, registry: Registry, parts: StartedParts): Promise<string | null> {
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
