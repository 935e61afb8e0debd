/**
 * `npm run bench -- fleet [--models N] [--rows R] [--epochs E]`: a fleet of N small models (default
 * 100) retrained at once by one worker process, then (a second set of the same models and data) by
 * two, against one dev server and one PostgreSQL. Prints the makespan (first start to last
 * decision) of each, the speedup, whether every run reached a decision, and how long runs waited
 * for a slot (from each run's history: the time its activities spent scheduled but not started,
 * and the time from the run's start to its training's start). Workers are the compiled
 * `node bin/worker.js` (`npm run build` first), each with its activity slots
 * (NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES, default 4). Opt-in (long).
 */
import type { retrainModel } from '../workflows/index.ts';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { importExamples } from '../registry/import-examples.ts';
import type { RunResult } from '../workflows/definitions.ts';
import { startBenchStack, type BenchStack } from './scale-stack.ts';
import { syntheticTexts } from '../test/support/synthetic.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One activity task of a run, from its history (the attempt that ended it). */
export interface ActivitySpan {
  workflowId: string;
  activity: string;
  /** When the task was scheduled (entered the task queue). */
  scheduledAt: number;
  /** When the attempt that ended it was picked up by a worker (null: never started). */
  startedAt: number | null;
  /** When it completed, failed or timed out (null: still open). */
  endedAt: number | null;
  /** The worker that ran that attempt (`pid@host` by default). */
  identity: string | null;
  attempt: number;
  /** completed, failed, timed-out, cancelled, or open. */
  end: string;
}

/** A run as its history tells it: when it started, when its training started, its activity tasks. */
export interface RunTimeline {
  workflowId: string;
  startedAt: number;
  /** When the training attempt that ended trainCandidate started (null: no training). */
  trainingStartedAt: number | null;
  /** Time the run's first attempts spent in the task queue waiting for a worker's slot. */
  queueWaitMs: number;
  activities: ActivitySpan[];
}

const eventMs = (e: HistoryEvent): number => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

/**
 * Reads a run's activity tasks from its history. Temporal writes an activity's started event
 * when the attempt that ends it ends, so a retried activity shows its last attempt (and the
 * attempt number); the queue wait counts first attempts only.
 */
export function runTimeline(workflowId: string, events: HistoryEvent[]): RunTimeline {
  const byScheduled = new Map<string, ActivitySpan>();
  let startedAt = 0;
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) startedAt = eventMs(e);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled)
      byScheduled.set(String(e.eventId), {
        workflowId,
        activity: scheduled.activityType?.name ?? '?',
        scheduledAt: eventMs(e),
        startedAt: null,
        endedAt: null,
        identity: null,
        attempt: 0,
        end: 'open',
      });
    const started = e.activityTaskStartedEventAttributes;
    const span = started ? byScheduled.get(String(started.scheduledEventId)) : undefined;
    if (started && span) Object.assign(span, { startedAt: eventMs(e), identity: started.identity ?? null, attempt: started.attempt ?? 1 });
    const ends: Array<[string, { scheduledEventId?: unknown } | null | undefined]> = [
      ['completed', e.activityTaskCompletedEventAttributes],
      ['failed', e.activityTaskFailedEventAttributes],
      ['timed-out', e.activityTaskTimedOutEventAttributes],
      ['cancelled', e.activityTaskCanceledEventAttributes],
    ];
    for (const [end, attrs] of ends) {
      const ended = attrs ? byScheduled.get(String(attrs.scheduledEventId)) : undefined;
      if (ended) Object.assign(ended, { endedAt: eventMs(e), end });
    }
  }
  const activities = [...byScheduled.values()];
  const training = activities.find((a) => a.activity === 'trainCandidate');
  const queueWaitMs = activities
    .filter((a) => a.attempt === 1 && a.startedAt !== null)
    .reduce((sum, a) => sum + (a.startedAt! - a.scheduledAt), 0);
  return { workflowId, startedAt, trainingStartedAt: training?.startedAt ?? null, queueWaitMs, activities };
}

export async function fetchTimeline(client: Client, workflowId: string, runId?: string): Promise<RunTimeline> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return runTimeline(workflowId, history.events ?? []);
}

/**
 * How far the task queue strayed from first come, first served: for each first attempt, how many
 * tasks scheduled after it started before it. A queue that starved a task would show it overtaken
 * by ever more of the tasks behind it; a FIFO queue shows 0 (ties aside).
 */
export function overtakenBy(spans: ActivitySpan[]): number[] {
  const first = spans.filter((s) => s.attempt === 1 && s.startedAt !== null);
  return first.map((a) => first.filter((b) => b.scheduledAt > a.scheduledAt && b.startedAt! < a.startedAt!).length);
}

export interface WaitFigures {
  runs: number;
  medianQueueWaitMs: number;
  maxQueueWaitMs: number;
  medianToTrainingMs: number;
  maxToTrainingMs: number;
  /** The most tasks scheduled after one task that started before it. */
  maxOvertaken: number;
}

export function waitFigures(timelines: RunTimeline[]): WaitFigures {
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : 0;
  };
  const waits = timelines.map((t) => t.queueWaitMs);
  const toTraining = timelines.filter((t) => t.trainingStartedAt !== null).map((t) => t.trainingStartedAt! - t.startedAt);
  return {
    runs: timelines.length,
    medianQueueWaitMs: median(waits),
    maxQueueWaitMs: Math.max(0, ...waits),
    medianToTrainingMs: median(toTraining),
    maxToTrainingMs: Math.max(0, ...toTraining),
    maxOvertaken: Math.max(0, ...overtakenBy(timelines.flatMap((t) => t.activities))),
  };
}

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
  waits: WaitFigures;
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
  const ids = models.map((model) => `${model}-${Date.now()}`);
  const settled = await Promise.allSettled(
    models.map((model, i) =>
      client.workflow.execute<typeof retrainModel>('retrainModel', {
        taskQueue: queue,
        workflowId: ids[i],
        args: [{ model, trigger: 'manual', hyperparameters: { epochs: o.epochs } }],
      }),
    ),
  );
  const makespanSeconds = (performance.now() - started) / 1000;
  const timelines: RunTimeline[] = [];
  for (const id of ids) timelines.push(await fetchTimeline(client, id));
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
  return { workers, makespanSeconds, outcomes, failed, allDecided: decided === o.models, waits: waitFigures(timelines) };
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

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function printFleetReport(r: { options: FleetOptions; phases: FleetPhase[] }): string {
  const lines = [
    `fleet: ${r.options.models} models (${r.options.rows} rows, 3 labels, ${r.options.epochs} epochs each), all started at once; ` +
      `workers are processes with NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES=${process.env.NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES || 4} slots`,
  ];
  for (const p of r.phases)
    lines.push(
      `  ${p.workers} worker(s): makespan ${p.makespanSeconds.toFixed(1)} s; outcomes ${JSON.stringify(p.outcomes)}` +
        `${p.failed ? `, ${p.failed} failed` : ''}; every run decided: ${p.allDecided ? 'yes' : 'NO'}`,
      `    waiting for a slot, per run: median ${secs(p.waits.medianQueueWaitMs)}, max ${secs(p.waits.maxQueueWaitMs)}; ` +
        `run start to training start: median ${secs(p.waits.medianToTrainingMs)}, max ${secs(p.waits.maxToTrainingMs)}; ` +
        `most tasks that overtook one task in the queue: ${p.waits.maxOvertaken}`,
    );
  if (r.phases.length === 2)
    lines.push(
      `  speedup, 2 workers vs 1: x${(r.phases[0].makespanSeconds / r.phases[1].makespanSeconds).toFixed(2)} (on this machine's cores)`,
    );
  return lines.join('\n');
}
