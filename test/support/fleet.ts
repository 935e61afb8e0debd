/**
 * The fleet tests' stack: the shared services with no in-process worker, and two worker processes
 * (`node bin/worker.js`) of 2 activity slots each on its task queue. Registers its own hooks.
 */
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { tempDir } from './dirs.ts';
import { startTestStack, type TestStack } from './services.ts';
import { killWorkerProcesses, startWorkerProcesses, type WorkerProcess } from './worker-process.ts';

export interface Fleet {
  /** The stack, once beforeAll has run. */
  readonly stack: TestStack;
  readonly workers: WorkerProcess[];
}

export function useTwoWorkerFleet(homePrefix: string): Fleet {
  let stack: TestStack | undefined;
  const workers: WorkerProcess[] = [];
  const home = tempDir(path.join(inject('stateDir'), homePrefix));
  beforeAll(async () => {
    stack = await startTestStack({ inProcessWorker: false });
    const options = { temporalAddress: inject('temporalAddress'), databaseUrl: stack.database.url, taskQueue: stack.taskQueue, home };
    workers.push(...(await startWorkerProcesses(2, { ...options, env: { NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES: '2' } })));
  });
  afterAll(async () => {
    await killWorkerProcesses(workers);
    await stack?.stop();
  });
  return {
    get stack(): TestStack {
      if (!stack) throw new Error('the fleet stack starts in beforeAll');
      return stack;
    },
    workers,
  };
}
