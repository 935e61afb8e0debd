/**
 * One Temporal worker: the retrainModel workflow and the activities built once with their database.
 * The workflow bundle is cached under NIGHTSHIFT_HOME keyed by the workflow sources' hash, so a
 * restart skips the several seconds of webpack.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import type { Db } from '../registry/pool.ts';
import { maxConcurrentActivities, trainBufferRows } from '../stack/config.ts';
import { streamLimitsForBuffer } from '../activities/pipeline/streamed-source.ts';
import { FAILURE_CONVERTER_PATH, temporalDataConverter } from '../stack/temporal-connection.ts';
import { workerTelemetry } from './telemetry.ts';

const WORKFLOWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'workflows');
// index.ts from source (tsx, tests), index.js from dist/ (the compiled worker).
const WORKFLOWS_INDEX = path.join(WORKFLOWS_DIR, `index${path.extname(fileURLToPath(import.meta.url))}`);

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  /** Where to cache the workflow bundle; none: bundle in memory each time. */
  bundleCacheDir?: string;
  shutdownGraceTime?: string;
  identity?: string;
  /** Replaces the activities built from `db` (tests wrap them to inject faults). */
  activities?: object;
  /** Activities run at once; default NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES (4). */
  maxConcurrentActivities?: number;
}

/**
 * The bundle's cache key: every source file it may include (the workflows and the pure modules
 * they import from activities/), so a change to any of them bundles again.
 */
function workflowSourceHash(): string {
  const hash = createHash('sha256');
  for (const dir of [WORKFLOWS_DIR, path.join(WORKFLOWS_DIR, '..', 'activities')]) {
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(ts|js)$/.test(f))
      .sort();
    for (const file of files) hash.update(file).update(readFileSync(path.join(dir, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** What goes into the bundle besides the workflows: tracing interceptors, the encrypting failure converter. */
export interface BundleExtras {
  workflowInterceptorModules?: string[];
  failureConverterPath?: string;
}

export async function workflowBundle(cacheDir?: string, extras: BundleExtras = {}): Promise<WorkflowBundle> {
  const options = { workflowsPath: WORKFLOWS_INDEX, logger: quietLogger, ...extras };
  if (!cacheDir) return bundleWorkflowCode(options);
  // A bundle with tracing or the encoded failure converter is another bundle.
  const variant = [...(extras.workflowInterceptorModules ?? []), extras.failureConverterPath ?? '']
    .filter(Boolean)
    .map((m) => path.basename(m).replace(/\.[cm]?[jt]s$/, ''))
    .join('+');
  const file = path.join(cacheDir, `workflow-bundle-${workflowSourceHash()}${variant ? `-${variant}` : ''}.js`);
  if (existsSync(file)) return { code: readFileSync(file, 'utf8') };
  const bundle = await bundleWorkflowCode(options);
  mkdirSync(cacheDir, { recursive: true });
  // Write then rename: processes bundling at once never read a half-written file.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, bundle.code);
  renameSync(temp, file);
  return bundle;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`bundler: ${message}\n`),
  error: (message: string) => process.stderr.write(`bundler: ${message}\n`),
};

/**
 * The data converter (payload codec with NIGHTSHIFT_ENCRYPTION_KEY_FILE), the activity log lines
 * and tracing (worker/telemetry.ts) come from the environment, as for every other process.
 */
export async function createWorker(o: WorkerOptions): Promise<Worker> {
  const dataConverter = temporalDataConverter();
  const telemetry = workerTelemetry();
  const extras: BundleExtras = {
    workflowInterceptorModules: telemetry.workflowInterceptorModules,
    ...(dataConverter ? { failureConverterPath: FAILURE_CONVERTER_PATH } : {}),
  };
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    workflowBundle: await workflowBundle(o.bundleCacheDir, extras),
    ...(dataConverter ? { dataConverter } : {}),
    ...telemetry.workerOptions,
    activities: o.activities ?? createActivities({ db: o.db, streamLimits: streamLimitsForBuffer(trainBufferRows()) }),
    shutdownGraceTime: o.shutdownGraceTime ?? '10s',
    // Training progress (epoch, loss) reaches `retrain --wait` and `runs show` through heartbeat
    // details; the default throttle (0.8 x heartbeat timeout) would make it 24 s stale.
    maxHeartbeatThrottleInterval: '1 second',
    // Trainings are CPU-bound: a worker runs at most this many at once; the rest wait in the queue
    // for any worker with a free slot (NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES, stack/config.ts).
    maxConcurrentActivityTaskExecutions: o.maxConcurrentActivities ?? maxConcurrentActivities(),
    ...(o.identity ? { identity: o.identity } : {}),
  });
}
