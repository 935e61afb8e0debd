import { SEARCH_ATTRIBUTES } from '../workflows/definitions.ts';
/**
 * The stack bench/scale.ts and bench/fleet.ts run against: one Temporal dev server and one
 * embedded PostgreSQL (ports from NIGHTSHIFT_TEMPORAL_PORT, NIGHTSHIFT_UI_PORT and
 * NIGHTSHIFT_PG_PORT when set, else free ones), the registry migrated, and workers as separate
 * processes (`node bin/worker.js`, the compiled worker: run `npm run build` first).
 */
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPool, type Db } from '../registry/pool.ts';
import { migrate } from '../registry/migrate.ts';
import { findTemporalCli } from '../stack/temporal-cli.ts';
import { startDevServer } from '../stack/temporal-server.ts';
import { startEmbeddedPostgres } from '../stack/embedded-postgres.ts';
import { freePort } from '../stack/ports.ts';
import { tempDir } from '../test/support/dirs.ts';
import { startWorkerProcess, type WorkerProcess } from '../test/support/worker-process.ts';

export interface BenchStack {
  home: string;
  temporalAddress: string;
  databaseUrl: string;
  db: Db;
  /** Environment for `nightshift` commands and workers on this stack. */
  env(taskQueue: string): NodeJS.ProcessEnv;
  startWorker(taskQueue: string, extraEnv?: NodeJS.ProcessEnv): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

const portFrom = async (name: string): Promise<number> => (process.env[name] ? Number(process.env[name]) : freePort());

export async function startBenchStack(prefix: string): Promise<BenchStack> {
  const home = tempDir(path.join(os.tmpdir(), `${prefix}-`));
  const cli = await findTemporalCli();
  const [server, pg] = await Promise.all([
    (async () =>
      startDevServer({
        searchAttributes: SEARCH_ATTRIBUTES,
        cli,
        home,
        port: await portFrom('NIGHTSHIFT_TEMPORAL_PORT'),
        uiPort: await portFrom('NIGHTSHIFT_UI_PORT'),
        namespace: 'default',
      }))(),
    (async () => startEmbeddedPostgres(home, await portFrom('NIGHTSHIFT_PG_PORT'), () => undefined))(),
  ]);
  const db = createPool(pg.databaseUrl, { max: 4 });
  await migrate(db);
  const workers: WorkerProcess[] = [];
  const env = (taskQueue: string): NodeJS.ProcessEnv => ({
    TEMPORAL_ADDRESS: server.address,
    DATABASE_URL: pg.databaseUrl,
    NIGHTSHIFT_TASK_QUEUE: taskQueue,
    NIGHTSHIFT_HOME: home,
  });
  return {
    home,
    temporalAddress: server.address,
    databaseUrl: pg.databaseUrl,
    db,
    env,
    startWorker: async (taskQueue, extraEnv = {}) => {
      const saved = { ...process.env };
      Object.assign(process.env, extraEnv);
      try {
        const w = await startWorkerProcess({ temporalAddress: server.address, databaseUrl: pg.databaseUrl, taskQueue, home });
        workers.push(w);
        return w;
      } finally {
        for (const key of Object.keys(extraEnv)) {
          if (key in saved) process.env[key] = saved[key];
          else delete process.env[key];
        }
      }
    },
    stop: async () => {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await db.end();
      await server.stop(5000);
      await pg.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A live process's peak resident set size (VmHWM), in MB; null where /proc is not available. */
export function peakRssMb(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
