/**
 * createActivities(deps): the activities the worker registers, built once with their database.
 * Each is a thin adapter: it reads the Temporal context (run ids, attempt, heartbeats,
 * cancellation, the worker's client), calls the pipeline module, and marks permanent errors
 * non-retryable.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import { permanentErrorsAreFinal } from './failures.ts';
import { fetchNewData } from './pipeline/fetch-new-data.ts';
import { evaluateModel } from './pipeline/evaluate-model.ts';
import { trainCandidate } from './pipeline/train-candidate.ts';
import { abandonRun, compareModels, markCandidateRejected, promoteModel, setProductionVersion } from './pipeline/compare-and-promote.ts';
import type {
  CompareModelsInput,
  EvaluateModelInput,
  FetchNewDataInput,
  PromoteModelInput,
  RunRef,
  SetProductionInput,
  TrainCandidateInput,
  TrainingHeartbeat,
} from './pipeline/types.ts';
import type { Db } from '../registry/pool.ts';
import { runSlotWorkflowId } from './pipeline/types.ts';
import type { StreamLimits } from './pipeline/streamed-source.ts';
import { assessModel, recordMonitorEvent, type AssessModelInput, type RecordMonitorEventInput } from './pipeline/monitor-model.ts';
import { deliverNotification, type DeliverySummary, type NotificationInput, type NotificationLinks } from './pipeline/notify.ts';

export interface ActivityDeps {
  db: Db;
  /** Where notifications link to (the Temporal Web UI); none: messages carry no link. */
  links?: NotificationLinks;
  /** Page and buffer sizes of streamed training; default 2048-row pages, 8 at a time. */
  streamLimits?: Partial<StreamLimits>;
}

function currentRun(): RunRef {
  const { workflowExecution } = Context.current().info;
  if (!workflowExecution) {
    throw ApplicationFailure.nonRetryable('Nightshift activities only run inside a workflow', 'NotInWorkflow');
  }
  return { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId };
}

/** The workflow id of the run holding a model's run slot (its parent), or null when none does. */
async function runSlotHolder(input: { model: string }): Promise<string | null> {
  try {
    const slot = await Context.current().client.workflow.getHandle(runSlotWorkflowId(input.model)).describe();
    return slot.status.name === 'RUNNING' ? (slot.parentExecution?.workflowId ?? null) : null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

export function createActivities({ db, links = { uiUrl: null, namespace: 'default' }, streamLimits }: ActivityDeps) {
  return {
    assessModel: permanentErrorsAreFinal((input: AssessModelInput) => assessModel(db, input)),
    recordMonitorEvent: permanentErrorsAreFinal((input: RecordMonitorEventInput) => recordMonitorEvent(db, currentRun(), input)),
    /** Throws (so Temporal retries) while any target failed; each retry sends only to those. */
    deliverNotification: async (input: NotificationInput): Promise<DeliverySummary> => {
      const summary = await deliverNotification(db, links, Context.current().info.attempt, input);
      if (summary.failed.length)
        throw new Error(`webhook delivery failed: ${summary.failed.map((f) => `${f.url}: ${f.error}`).join('; ')}`);
      return summary;
    },
    fetchNewData: permanentErrorsAreFinal((input: FetchNewDataInput) => fetchNewData(db, currentRun(), input)),
    evaluateModel: permanentErrorsAreFinal((input: EvaluateModelInput) => evaluateModel(db, input)),
    trainCandidate: permanentErrorsAreFinal((input: TrainCandidateInput) => {
      const ctx = Context.current();
      return trainCandidate(
        db,
        {
          run: currentRun(),
          attempt: ctx.info.attempt,
          previousHeartbeat: ctx.info.heartbeatDetails as TrainingHeartbeat | undefined,
          heartbeat: (details) => ctx.heartbeat(details),
          signal: ctx.cancellationSignal,
          streamLimits,
        },
        input,
      );
    }),
    compareModels: permanentErrorsAreFinal((input: CompareModelsInput) => compareModels(db, currentRun(), input)),
    promoteModel: permanentErrorsAreFinal((input: PromoteModelInput) => promoteModel(db, currentRun(), input)),
    markCandidateRejected: permanentErrorsAreFinal((input: { versionId: number }) => markCandidateRejected(db, currentRun(), input)),
    abandonRun: permanentErrorsAreFinal(() => abandonRun(db, currentRun())),
    setProductionVersion: permanentErrorsAreFinal((input: SetProductionInput) => setProductionVersion(db, currentRun(), input)),
    runSlotHolder,
  };
}

export type Activities = ReturnType<typeof createActivities>;
