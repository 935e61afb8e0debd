/**
 * A fleet loses a worker (issue 15): 10 models retrained at once by 2 worker processes
 * (`node bin/worker.js`, 2 activity slots each); one worker is killed with SIGKILL while trainings
 * are running on it (seen in Temporal: trainCandidate started by that worker and heartbeating past
 * an epoch). Its trainings stop heartbeating, time out after the run's training heartbeat timeout,
 * and are retried on the surviving worker, resuming from their registry checkpoints. Every run
 * still reaches a decision, each model ends with one production version, and every run wrote one
 * candidate version.
 */
import type { retrainModel } from '../../workflows/index.ts';
import os from 'node:os';
import { expect, it } from 'vitest';
import { useTwoWorkerFleet } from '../support/fleet.ts';
import type { WorkflowHandle } from '@temporalio/client';
import { syntheticTexts } from '../support/synthetic.ts';
import { importRows } from '../support/runs.ts';
import { waitFor } from '../support/wait.ts';
import type { RunResult } from '../../workflows/definitions.ts';
import type { TrainingHeartbeat } from '../../activities/pipeline/types.ts';
import { fetchTimeline } from '../../bench/fleet.ts';
import { decodePayloadAt } from '../../runs/client.ts';

const MODELS = 10;
const fleet = useTwoWorkerFleet('fleet-crash-');

/** The trainings a worker is running now: started by it, heartbeating past epoch 1. */
async function trainingsOn(handles: Array<WorkflowHandle<typeof retrainModel>>, identity: string): Promise<Map<string, number>> {
  const running = new Map<string, number>();
  for (const h of handles) {
    const pending = (await h.describe()).raw.pendingActivities ?? [];
    for (const a of pending) {
      if (a.activityType?.name !== 'trainCandidate' || a.lastWorkerIdentity !== identity || !a.heartbeatDetails?.payloads?.length) continue;
      const beat = await decodePayloadAt<TrainingHeartbeat>(fleet.stack.client.options.loadedDataConverter, 0, a.heartbeatDetails.payloads);
      if (beat.epoch >= 1) running.set(h.workflowId, beat.epoch);
    }
  }
  return running;
}

it('a worker killed mid-training: its trainings finish on the other worker, every run decided, one production version per model', async () => {
  const models = Array.from({ length: MODELS }, (_, i) => `fleetcrash-${i}`);
  for (let i = 0; i < MODELS; i++) await importRows(fleet.stack.database.db, models[i], syntheticTexts(800, ['a', 'b'], 700 + i));
  const [doomed, survivor] = fleet.workers;
  // The SDK's default worker identity.
  const doomedIdentity = `${doomed.child.pid}@${os.hostname()}`;
  const survivorIdentity = `${survivor.child.pid}@${os.hostname()}`;

  const handles = await Promise.all(
    models.map((model) =>
      fleet.stack.client.workflow.start<typeof retrainModel>('retrainModel', {
        taskQueue: fleet.stack.taskQueue,
        workflowId: `fleet-crash-${model}-${Date.now()}`,
        // Batches of 1, no early stopping: each training takes seconds, with a checkpoint each epoch.
        args: [
          {
            model,
            trigger: 'test',
            hyperparameters: { epochs: 400, batchSize: 1, earlyStopping: false, buckets: 1024, seed: 3 },
            trainingHeartbeatTimeout: '4s',
            stepTimeout: '20s',
          },
        ],
      }),
    ),
  );

  // Both of its slots training if that comes within 20 s, else whatever it is training then.
  const settle = Date.now() + 20_000;
  const inFlight = await waitFor(
    'trainings in flight on the worker to kill',
    async () => {
      const running = await trainingsOn(handles, doomedIdentity);
      return running.size >= 2 || (running.size > 0 && Date.now() > settle) ? running : undefined;
    },
    120_000,
    100,
  );
  const killedAt = Date.now();
  doomed.kill('SIGKILL');
  expect((await doomed.exited).signal).toBe('SIGKILL');

  const results = (await Promise.all(handles.map((h) => h.result()))) as RunResult[];
  for (const r of results) expect(['PROMOTED', 'REJECTED'], `${r.model}: ${r.outcome} ${r.reason}`).toContain(r.outcome);

  // The trainings that were running on the killed worker: retried (attempt 2 or later) on the
  // survivor, resuming from a checkpoint; none finished on the dead worker after its death.
  const timelines = await Promise.all(results.map((r) => fetchTimeline(fleet.stack.client, r.workflowId, r.runId)));
  const moved: string[] = [];
  for (const [workflowId, epoch] of inFlight) {
    const training = timelines.find((t) => t.workflowId === workflowId)!.activities.find((a) => a.activity === 'trainCandidate')!;
    const result = results.find((r) => r.workflowId === workflowId)!;
    if (training.identity === doomedIdentity) {
      // It finished on the doomed worker between our look and the kill.
      expect(training.endedAt!, workflowId).toBeLessThanOrEqual(killedAt + 1000);
      continue;
    }
    expect(training.identity, workflowId).toBe(survivorIdentity);
    expect(training.attempt, workflowId).toBeGreaterThanOrEqual(2);
    const attempts = result.training!.attempts;
    expect(attempts.length, workflowId).toBeGreaterThanOrEqual(2);
    expect(attempts[attempts.length - 1].resumedFromEpoch, `${workflowId} was at epoch ${epoch}`).toBeGreaterThanOrEqual(1);
    moved.push(workflowId);
  }
  expect(moved.length, `in flight on the killed worker: ${[...inFlight.keys()].join(', ')}`).toBeGreaterThan(0);

  // After the kill, only the survivor ran activities.
  for (const t of timelines)
    for (const a of t.activities)
      if (a.identity === doomedIdentity) expect(a.startedAt!, `${t.workflowId} ${a.activity}`).toBeLessThan(killedAt + 1000);

  const { rows } = await fleet.stack.database.db.query<{ name: string; production: string; alias: string | null; versions: string }>(
    `SELECT m.name, count(v.id) FILTER (WHERE v.status = 'production') AS production, count(v.id) AS versions,
            max(a.version_id) AS alias
     FROM models m LEFT JOIN model_versions v ON v.model_id = m.id
     LEFT JOIN aliases a ON a.model_id = m.id AND a.alias = 'production'
     WHERE m.name LIKE 'fleetcrash-%' GROUP BY m.name ORDER BY m.name`,
  );
  expect(rows.map((r) => r.name)).toEqual([...models].sort());
  for (const r of rows) {
    expect(Number(r.production), r.name).toBe(1);
    expect(r.alias, r.name).not.toBeNull();
    // One candidate per run: the killed attempts wrote no version of their own.
    expect(Number(r.versions), r.name).toBe(1);
  }
  process.stdout.write(
    `fleet crash: killed ${doomedIdentity} with ${inFlight.size} training(s) in flight (${[...inFlight.values()].map((e) => `epoch ${e}`).join(', ')}); ` +
      `${moved.length} finished on ${survivorIdentity}; outcomes ${results.map((r) => r.outcome).join(', ')}\n`,
  );
});
