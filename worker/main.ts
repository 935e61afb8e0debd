/**
 * `npm run worker`: a worker process alone, against TEMPORAL_ADDRESS and DATABASE_URL or the stack
 * of a running `nightshift up` with the same NIGHTSHIFT_HOME. SIGINT/SIGTERM shut it down
 * gracefully: in-flight activities get the shutdown grace time, training checkpoints every epoch.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { loadConfig } from '../stack/config.ts';
import { openRegistry, resolveTemporal } from '../stack/stack.ts';
import { createWorker } from './create-worker.ts';
import { shutdownGrace } from '../stack/shutdown-grace.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const temporal = await resolveTemporal(config);
  const registry = await openRegistry(config, { supervise: true });
  try {
    const connection = await NativeConnection.connect({ address: temporal.address });
    try {
      const worker = await createWorker({
        connection,
        namespace: temporal.namespace,
        taskQueue: temporal.taskQueue,
        db: registry.db,
        bundleCacheDir: config.home,
        shutdownGraceTime: shutdownGrace().text,
      });
      process.stderr.write(`worker ${process.pid} polling task queue ${temporal.taskQueue} on ${temporal.address}\n`);
      await worker.run();
    } finally {
      await connection.close();
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
