/**
 * A worker process with one injected fault, for the fault tests only. NIGHTSHIFT_FAULT=
 * kill-after:<activity> runs that activity for real (so its transaction commits) and then, on the
 * first attempt, SIGKILLs this process before the result can be reported: "the worker died right
 * after the commit".
 */
import { Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { createPool } from '../../registry/pool.ts';
import { createWorker } from '../../worker/create-worker.ts';

const [kind, target] = (process.env.NIGHTSHIFT_FAULT ?? '').split(':');
if (kind !== 'kill-after' || !target) throw new Error(`unknown NIGHTSHIFT_FAULT ${process.env.NIGHTSHIFT_FAULT}`);

Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: ['SIGINT', 'SIGTERM'] });
const db = createPool(process.env.DATABASE_URL!);
const activities = createActivities({ db }) as Record<string, (...args: unknown[]) => Promise<unknown>>;
const real = activities[target];
if (!real) throw new Error(`no activity ${target}`);
activities[target] = async (...args: unknown[]) => {
  const result = await real(...args);
  if (Context.current().info.attempt === 1) {
    process.stderr.write(`fault: killing worker after ${target} committed\n`);
    process.kill(process.pid, 'SIGKILL');
  }
  return result;
};
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await createWorker({
  connection,
  namespace: 'default',
  taskQueue: process.env.NIGHTSHIFT_TASK_QUEUE!,
  db,
  activities,
  bundleCacheDir: process.env.NIGHTSHIFT_HOME,
});
process.stderr.write(`fault worker ${process.pid} polling task queue ${process.env.NIGHTSHIFT_TASK_QUEUE}\n`);
await worker.run();
await connection.close();
await db.end();
