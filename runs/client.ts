/** Runs from a client: start (one per model at a time), list, show, progress. */
import { Client, WorkflowNotFoundError, type WorkflowExecutionInfo, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { fromPayloadsAtIndex, TypedSearchAttributes, type LoadedDataConverter, type Payload } from '@temporalio/common';
import {
  ModelNameKey,
  progressQuery,
  runSlotWorkflowId,
  type RetrainInput,
  type RunProgress,
  type RunResult,
} from '../workflows/definitions.ts';
import type { retrainModel } from '../workflows/index.ts';
import type { TemporalTarget } from '../stack/stack.ts';
import { connectTemporal, temporalDataConverter } from '../stack/temporal-connection.ts';
import type { TrainingHeartbeat } from '../activities/pipeline/types.ts';

/** A workflow id that says what and when: `<kind>-<model>-2026-11-29T02-00-00Z`. */
export function runWorkflowId(model: string, at: Date = new Date(), kind = 'retrain'): string {
  return `${kind}-${model}-${at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-')}`;
}

/** TLS, API key and the payload codec come from the stack module, as for workers and the model server. */
export async function connectClient(target: TemporalTarget): Promise<{ client: Client; close: () => Promise<void> }> {
  const dataConverter = temporalDataConverter();
  const connection = await connectTemporal(target);
  const client = new Client({ connection, namespace: target.namespace, ...(dataConverter ? { dataConverter } : {}) });
  return { client, close: () => connection.close() };
}

/** Visibility query quoting: a model name is validated, but quote it anyway. */
const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export async function listRuns(
  client: Client,
  model: string | null,
  options: { running?: boolean; limit?: number } = {},
): Promise<WorkflowExecutionInfo[]> {
  const clauses = [`WorkflowType = "retrainModel"`];
  if (model) clauses.push(`ModelName = ${quote(model)}`);
  if (options.running) clauses.push(`ExecutionStatus = "Running"`);
  const out: WorkflowExecutionInfo[] = [];
  for await (const w of client.workflow.list({ query: clauses.join(' AND ') })) {
    out.push(w);
    if (out.length >= (options.limit ?? 50)) break;
  }
  return out;
}

export class RunAlreadyRunningError extends Error {
  constructor(
    readonly workflowId: string,
    readonly runId: string,
    model: string,
  ) {
    super(`model ${model} already has a run in progress: ${workflowId} (pass --attach to follow it)`);
  }
}

/** The run holding the model's run slot (see runSlotWorkflowId), read from the slot's parent; null when free. */
export async function runningRun(client: Client, model: string): Promise<{ workflowId: string; runId: string } | null> {
  try {
    const slot = await client.workflow.getHandle(runSlotWorkflowId(model)).describe();
    const parent = slot.parentExecution;
    if (slot.status.name !== 'RUNNING' || !parent?.workflowId || !parent.runId) return null;
    return { workflowId: parent.workflowId, runId: parent.runId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/**
 * Starts a retraining run. A model with a run in progress refuses it here, naming that run; the
 * guarantee itself is the run slot the workflow takes first (a start racing this check ends
 * SKIPPED_RUN_IN_PROGRESS without touching data).
 */
export async function startRetrain(
  client: Client,
  taskQueue: string,
  input: RetrainInput,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof retrainModel>> {
  const running = await runningRun(client, input.model);
  if (running) throw new RunAlreadyRunningError(running.workflowId, running.runId, input.model);
  return client.workflow.start<typeof retrainModel>('retrainModel', {
    taskQueue,
    workflowId: runWorkflowId(input.model),
    args: [input],
    typedSearchAttributes: new TypedSearchAttributes([{ key: ModelNameKey, value: input.model }]),
    memo: { trigger: input.trigger },
    staticSummary: `Retrain ${input.model} (${input.trigger})`,
    staticDetails: `Nightshift retraining run for model **${input.model}**, started by the ${input.trigger} trigger${input.force ? ' (forced)' : ''}${input.requireApproval ? ', promotion needs approval' : ''}.`,
  });
}

export interface LiveProgress extends RunProgress {
  epoch: number | null;
  trainLoss: number | null;
  validationLoss: number | null;
}

/** Stage from the workflow's query; epoch and loss from the training activity's last heartbeat. */
export async function runProgress(client: Client, workflowId: string, runId?: string): Promise<LiveProgress> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const progress = await handle.query(progressQuery);
  let heartbeat: TrainingHeartbeat | undefined;
  if (progress.stage === 'training') {
    const raw = await handle.describe().then((d) => d.raw.pendingActivities ?? []);
    const training = raw.find((a) => a.activityType?.name === 'trainCandidate');
    // The SDK's data converter (payload converter and any codec), as the worker encoded them.
    const payloads = training?.heartbeatDetails?.payloads;
    if (payloads?.length) heartbeat = await decodePayloadAt<TrainingHeartbeat>(client.options.loadedDataConverter, 0, payloads);
  }
  return {
    ...progress,
    epoch: heartbeat?.epoch ?? null,
    trainLoss: heartbeat?.trainLoss ?? null,
    validationLoss: heartbeat?.validationLoss ?? null,
  };
}

export async function findRun(client: Client, workflowId: string) {
  const handle = client.workflow.getHandle<typeof retrainModel>(workflowId);
  try {
    return { handle, description: await handle.describe() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new Error(`no run ${JSON.stringify(workflowId)}`);
    throw err;
  }
}

export type { RunResult };

/**
 * The value at `index` of payloads a worker encoded (heartbeat details, say), through the client's
 * data converter: its codecs decode them, last codec first, as the SDK does, then the payload
 * converter reads the value.
 */
export async function decodePayloadAt<T>(converter: LoadedDataConverter, index: number, payloads: Payload[]): Promise<T> {
  let decoded = payloads;
  for (const codec of [...converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return fromPayloadsAtIndex<T>(converter.payloadConverter, index, decoded);
}
