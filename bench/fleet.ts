/**
 * `npm run bench -- fleet [--models N] [--rows R] [--epochs E]`: a fleet of N small models (default
 * 100) retrained at once by one worker process, then (a second set of the same models and data) by
 * two, against one dev server and one PostgreSQL. Prints the makespan (first start to last
 * decision) of each, the speedup, and whether every run reached a decision. Workers are the
 * compiled `node bin/worker.js` (`npm run build` first), each with its activity slots
 * (NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES, default 4). Opt-in (long).
 */
import type { retrainModel } from '../workflows/index.ts';
import { Client, Connection } from '@temporalio/client';
import { importExamples } from '../activities/data/import-examples.ts';
import type { RunResult } from '../workflows/definitions.ts';
import { startBenchStack, type BenchStack } from './scale-stack.ts';
import { syntheticTexts } from '../test/support/synthetic.ts';

export interface FleetOptions {
  models: number;
  rows: number;
  epochs: number;
}

export interface FleetPhase {
  workers: number;
  makespanSeconds: number;
  outcomes: Record<string, number>;
  failed: number;
  allDecided: boolean;
}

export function parseFleetArgs(argv: string[]): FleetOptions {
  const o: FleetOptions = { models: 100, rows: 300, epochs: 5 };
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--models') o.models = value;
    else if (argv[i] === '--rows') o.rows = value;
    else if (argv[i] === '--epochs') o.epochs = value;
    else throw new Error(`bench fleet: unknown argument ${argv[i]} (--models N, --rows R, --epochs E)`);
    if (!Number.isInteger(value) || value < 1) throw new Error(`bench fleet: ${argv[i]} takes a whole number`);
    i++;
  }
  return o;
}

const DECIDED = new Set(['PROMOTED', 'REJECTED']);

/** Starts one run per model at once and waits for all: the makespan and every outcome. */
async function runPhase(stack: BenchStack, client: Client, o: FleetOptions, workers: number): Promise<FleetPhase> {
  const queue = `fleet-${workers}`;
  const models = Array.from({ length: o.models }, (_, i) => `fleet-${workers}w-${i}`);
  for (let i = 0; i < models.length; i++)
    await importExamples(stack.db, models[i], 'bench', syntheticTexts(o.rows, ['a', 'b', 'c'], 1000 + i));
  for (let w = 0; w < workers; w++) await stack.startWorker(queue);
  const started = performance.now();
  const settled = await Promise.allSettled(
    models.map((model) =>
      client.workflow.execute<typeof retrainModel>('retrainModel', {
        taskQueue: queue,
        workflowId: `${model}-${Date.now()}`,
        args: [{ model, trigger: 'manual', hyperparameters: { epochs: o.epochs } }],
      }),
    ),
  );
  const makespanSeconds = (performance.now() - started) / 1000;
  const outcomes: Record<string, number> = {};
  let failed = 0;
  for (const s of settled) {
    if (s.status === 'rejected') failed++;
    else {
      const outcome = (s.value as RunResult).outcome;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  }
  const decided = Object.entries(outcomes)
    .filter(([k]) => DECIDED.has(k))
    .reduce((n, [, v]) => n + v, 0);
  return { workers, makespanSeconds, outcomes, failed, allDecided: decided === o.models };
}

export async function benchFleet(o: FleetOptions): Promise<{ options: FleetOptions; phases: FleetPhase[] }> {
  const stack = await startBenchStack('nightshift-fleet');
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  const phases: FleetPhase[] = [];
  try {
    for (const workers of [1, 2]) {
      process.stderr.write(`fleet: ${o.models} models, ${workers} worker process(es)\n`);
      phases.push(await runPhase(stack, client, o, workers));
    }
  } finally {
    await connection.close();
    await stack.stop();
  }
  return { options: o, phases };
}

export function printFleetReport(r: { options: FleetOptions; phases: FleetPhase[] }): string {
  const lines = [
    `fleet: ${r.options.models} models (${r.options.rows} rows, 3 labels, ${r.options.epochs} epochs each), all started at once; ` +
      `workers are processes with NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES=${process.env.NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES || 4} slots`,
  ];
  for (const p of r.phases)
    lines.push(
      `  ${p.workers} worker(s): makespan ${p.makespanSeconds.toFixed(1)} s; outcomes ${JSON.stringify(p.outcomes)}` +
        `${p.failed ? `, ${p.failed} failed` : ''}; every run decided: ${p.allDecided ? 'yes' : 'NO'}`,
    );
  if (r.phases.length === 2)
    lines.push(
      `  speedup, 2 workers vs 1: x${(r.phases[0].makespanSeconds / r.phases[1].makespanSeconds).toFixed(2)} (on this machine's cores)`,
    );
  return lines.join('\n');
}
