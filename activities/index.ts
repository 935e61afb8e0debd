/**
 * createActivities(deps): the activities the worker registers, built once with their database.
 * Each is a thin adapter: it reads the Temporal context (run ids, attempt, heartbeats,
 * cancellation), calls the pipeline module, and marks permanent errors non-retryable.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { permanentErrorsAreFinal } from './failures.ts';
import { fetchNewData, type FetchNewDataInput, type RunRef } from './pipeline/fetch-new-data.ts';
import { evaluateModel, type EvaluateModelInput } from './pipeline/evaluate-model.ts';
import { trainCandidate, type TrainCandidateInput, type TrainingHeartbeat } from './pipeline/train-candidate.ts';
import {
  compareModels,
  markCandidateRejected,
  promoteModel,
  setProductionVersion,
  type CompareModelsInput,
  type PromoteModelInput,
} from './pipeline/compare-and-promote.ts';
import type { SetProductionInput } from '../workflows/definitions.ts';
import type { Db } from './registry/pool.ts';

export interface ActivityDeps {
  db: Db;
}

function currentRun(): RunRef {
  const { workflowExecution } = Context.current().info;
  if (!workflowExecution) {
    throw ApplicationFailure.nonRetryable('Nightshift activities only run inside a workflow', 'NotInWorkflow');
  }
  return { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId };
}

export function createActivities({ db }: ActivityDeps) {
  return {
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
        },
        input,
      );
    }),
    compareModels: permanentErrorsAreFinal((input: CompareModelsInput) => compareModels(db, currentRun(), input)),
    promoteModel: permanentErrorsAreFinal((input: PromoteModelInput) => promoteModel(db, currentRun(), input)),
    markCandidateRejected: permanentErrorsAreFinal((input: { versionId: number }) => markCandidateRejected(db, input)),
    setProductionVersion: permanentErrorsAreFinal((input: SetProductionInput) => setProductionVersion(db, currentRun(), input)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
