/**
 * Workers as separate processes, as in production: `node bin/worker.js` (the real worker entry),
 * or test/support/fault-worker.ts when a fault must strike inside an activity. They can be killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO } from './cli.ts';

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export interface WorkerProcessOptions {
  temporalAddress: string;
  databaseUrl: string;
  taskQueue: string;
  home: string;
  /** e.g. 'kill-after:promoteModel': SIGKILL the worker right after that activity's work commits. */
  fault?: string;
  shutdownGrace?: string;
  /** More environment (TLS settings, an encryption key file, telemetry). */
  env?: NodeJS.ProcessEnv;
}

export async function startWorkerProcess(o: WorkerProcessOptions): Promise<WorkerProcess> {
  const entry = o.fault ? ['bin/run-ts.js', 'test/support/fault-worker.ts'] : ['bin/worker.js'];
  const child = spawn(
    process.execPath,
    entry.map((p, i) => (i === 0 ? path.join(REPO, p) : p)),
    {
      cwd: REPO,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: o.temporalAddress,
        DATABASE_URL: o.databaseUrl,
        NIGHTSHIFT_TASK_QUEUE: o.taskQueue,
        NIGHTSHIFT_HOME: o.home,
        NIGHTSHIFT_SHUTDOWN_GRACE: o.shutdownGrace ?? '5s',
        ...(o.fault ? { NIGHTSHIFT_FAULT: o.fault } : {}),
        ...o.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 60_000;
  while (!/polling task queue/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output, exited, kill: (signal) => child.kill(signal) };
}

/** `n` worker processes with the same options, started one after the other. */
export async function startWorkerProcesses(n: number, o: WorkerProcessOptions): Promise<WorkerProcess[]> {
  const started: WorkerProcess[] = [];
  for (let i = 0; i < n; i++) started.push(await startWorkerProcess(o));
  return started;
}

/** SIGKILLs the workers and waits until each has exited. */
export async function killWorkerProcesses(workers: readonly WorkerProcess[]): Promise<void> {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
}
