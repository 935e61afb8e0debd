/**
 * `npm run worker`: a worker process alone, against TEMPORAL_ADDRESS and DATABASE_URL or the stack
 * of a running `nightshift up` with the same NIGHTSHIFT_HOME. The Temporal connection (TLS, API
 * key, TOML profiles) and the payload codec come from stack/temporal-connection.ts; metrics, JSON
 * logs and tracing from worker/telemetry.ts. SIGINT/SIGTERM shut it down gracefully: in-flight
 * activities get the shutdown grace time, training checkpoints every epoch.
 */
import { loadConfig } from '../stack/config.ts';
import { resolveTemporal } from '../stack/stack.ts';
import { openRegistry } from '../registry/open.ts';
import { connectTemporalNative } from '../stack/temporal-connection.ts';
import { createWorker } from './create-worker.ts';
import { installRuntime, metricsBindAddress, workerTelemetry } from './telemetry.ts';
import { shutdownGrace } from '../stack/shutdown-grace.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  installRuntime({ shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const temporal = await resolveTemporal(config);
  const registry = await openRegistry(config, { supervise: true });
  try {
    const connection = await connectTemporalNative(temporal);
    try {
      const worker = await createWorker({
        connection,
        namespace: temporal.namespace,
        taskQueue: temporal.taskQueue,
        db: registry.db,
        bundleCacheDir: config.home,
        shutdownGraceTime: shutdownGrace().text,
      });
      const metrics = metricsBindAddress();
      process.stderr.write(
        `worker ${process.pid} polling task queue ${temporal.taskQueue} on ${temporal.address}${temporal.security?.tls ? ' (TLS)' : ''}${metrics ? `; metrics on http://${metrics}/metrics` : ''}\n`,
      );
      await worker.run();
    } finally {
      await connection.close();
      await workerTelemetry().shutdown();
    }
  } finally {
    // Leaves the home's embedded PostgreSQL (stopping it if this worker was its last user).
    await registry.close();
    process.stderr.write(`worker ${process.pid} stopped\n`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`nightshift worker: ${err.message}\n`);
  process.exit(1);
});
