/**
 * Per-test-file isolation on the shared services: a fresh database (migrated) and a task queue of
 * its own, a real worker on it, and a client.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { createPool, type Db } from '../../registry/pool.ts';
import { migrate } from '../../registry/migrate.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { createActivities } from '../../activities/index.ts';
import path from 'node:path';

let runtimeInstalled = false;

export interface TestDatabase {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database on the shared PostgreSQL; migrated unless `migrated: false`. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject('databaseUrl');
  const name = `ns_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createPool(url.toString(), { max: 10 });
  if (options.migrated !== false) await migrate(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.end();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export interface TestStack {
  database: TestDatabase;
  client: Client;
  taskQueue: string;
  worker: Worker | null;
  stop(): Promise<void>;
}

export type ActivityWrapper = (activities: ReturnType<typeof createActivities>) => Record<string, (...args: never[]) => Promise<unknown>>;

export interface TestStackOptions {
  wrapActivities?: ActivityWrapper;
  temporalAddress?: string;
  /** false: no worker in this process (fault tests run workers as processes). Default true. */
  inProcessWorker?: boolean;
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
    runtimeInstalled = true;
  }
  const database = await createTestDatabase();
  const address = options.temporalAddress ?? inject('temporalAddress');
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  let worker: Worker | null = null;
  let running: Promise<void> = Promise.resolve();
  let nativeConnection: NativeConnection | null = null;
  if (options.inProcessWorker !== false) {
    nativeConnection = await NativeConnection.connect({ address });
    const activities = createActivities({ db: database.db });
    worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      db: database.db,
      bundleCacheDir: path.join(inject('stateDir'), 'bundles'),
      shutdownGraceTime: '2s',
      activities: options.wrapActivities ? options.wrapActivities(activities) : activities,
    });
    running = worker.run();
  }
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    database,
    client,
    taskQueue,
    worker,
    stop: async () => {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await nativeConnection?.close();
      await connection.close();
      await database.drop();
    },
  };
}

/** The environment a CLI started by a test needs to use this stack: its Temporal, database, task queue and a home. */
export function cliEnv(stack: TestStack, home: string): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: stack.database.url,
    NIGHTSHIFT_TASK_QUEUE: stack.taskQueue,
    NIGHTSHIFT_HOME: home,
  };
}
