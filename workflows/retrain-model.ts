/**
 * retrainModel: fetch -> evaluate champion -> train candidate -> evaluate candidate -> compare ->
 * (approval) -> promote. Deterministic orchestration only; every side effect is an activity, and
 * payloads carry ids, hashes and metrics. The run explains itself in the Temporal UI: current
 * details hold a Markdown table of champion vs candidate and the decision, search attributes
 * (ModelName, Outcome, CandidateVersion, ChampionVersion) make runs findable.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { Duration } from '@temporalio/common';
import {
  approveUpdate,
  CandidateVersionKey,
  ChampionVersionKey,
  DEFAULT_APPROVAL,
  ModelNameKey,
  OutcomeKey,
  PERMANENT_FAILURE_TYPES,
  progressQuery,
  rejectUpdate,
  ScheduledStartTimeKey,
  type ApprovalRecord,
  type ApprovalRequest,
  type CandidateSummary,
  type EvaluationSummary,
  type Outcome,
  type RetrainInput,
  type RunProgress,
  type RunResult,
  type SnapshotSummary,
} from './definitions.ts';
import { renderRunDetails } from './run-details.ts';

/**
 * Database reads and writes and evaluation: short; retried with backoff while PostgreSQL is away,
 * and on another worker when one dies mid-step (after the start-to-close timeout).
 */
const shortActivities = (startToCloseTimeout: Duration = '1 minute') =>
  proxyActivities<Activities>({
    startToCloseTimeout,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: PERMANENT_FAILURE_TYPES },
  });

/**
 * Training: long, heartbeats between batches and every epoch; a retry (after a lost worker's
 * heartbeat timeout) resumes from the last epoch checkpoint.
 */
const trainingActivity = (heartbeatTimeout: Duration = '30 seconds') =>
  proxyActivities<Activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: PERMANENT_FAILURE_TYPES },
  });

function failureType(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  return undefined;
}

export async function retrainModel(input: RetrainInput): Promise<RunResult> {
  const info = workflowInfo();
  const shortActivity = shortActivities(input.stepTimeout as Duration | undefined);
  const progress: RunProgress = { stage: 'starting', model: input.model, outcome: null, candidateVersion: null };
  let approval: ApprovalRecord | null = null;
  setHandler(progressQuery, () => progress);

  const validateApproval = (request: ApprovalRequest): void => {
    if (progress.stage !== 'awaiting-approval' || progress.candidateVersion === null) {
      throw new Error(`run ${info.workflowId} is not waiting for approval (stage: ${progress.stage})`);
    }
    if (request.candidateVersion !== progress.candidateVersion) {
      throw new Error(`candidate v${request.candidateVersion} is not the one waiting for approval (v${progress.candidateVersion})`);
    }
    if (!request.reason?.trim()) throw new Error('a reason is required');
    if (!request.approver?.trim()) throw new Error('an approver is required');
  };
  const answer = (approved: boolean) => (request: ApprovalRequest): ApprovalRecord => {
    approval = { approved, approver: request.approver, reason: request.reason, by: 'person' };
    return approval;
  };
  setHandler(approveUpdate, answer(true), { validator: validateApproval });
  setHandler(rejectUpdate, answer(false), { validator: validateApproval });
  upsertSearchAttributes([{ key: ModelNameKey, value: input.model }]);

  const base = { model: input.model, workflowId: info.workflowId, runId: info.runId, trigger: input.trigger };
  let champion: EvaluationSummary | null = null;
  let candidate: EvaluationSummary | null = null;
  const details = (extra: Partial<RunResult> = {}): void =>
    setCurrentDetails(renderRunDetails({ model: input.model, stage: progress.stage, champion, candidate, ...extra }));

  const finish = (result: RunResult): RunResult => {
    progress.stage = 'done';
    progress.outcome = result.outcome;
    const updates: Parameters<typeof upsertSearchAttributes>[0] = [{ key: OutcomeKey, value: result.outcome }];
    if (result.candidateVersion !== null) updates.push({ key: CandidateVersionKey, value: result.candidateVersion });
    if (result.championVersion !== null) updates.push({ key: ChampionVersionKey, value: result.championVersion });
    upsertSearchAttributes(updates);
    details(result);
    return result;
  };
  const endEarly = (outcome: Outcome, reason: string, snapshot: SnapshotSummary, extra: Partial<RunResult> = {}): RunResult =>
    finish({
      ...base, outcome, reason, snapshot,
      championVersion: snapshot.championVersion, candidateVersion: null, champion: null, candidate: null,
      training: null, decision: null, promotion: null, approval: null, ...extra,
    });

  progress.stage = 'fetching';
  details();
  // A scheduled run (and each backfilled one) ends its window at its scheduled time, not "now".
  // The search attribute keeps whole seconds, so the window runs to the end of the scheduled second.
  const scheduledAt = info.typedSearchAttributes.get(ScheduledStartTimeKey);
  const scheduledEnd = scheduledAt ? new Date(Math.floor(scheduledAt.getTime() / 1000) * 1000 + 999) : null;
  const windowEnd = input.windowEnd ?? (scheduledEnd ?? new Date(info.runStartTime ?? Date.now())).toISOString();
  const snapshot = await shortActivity.fetchNewData.executeWithOptions(
    { summary: `Select ${input.model} examples that arrived by ${windowEnd}` },
    [{ model: input.model, windowEnd, force: input.force }],
  );
  if (snapshot.status === 'empty') {
    return endEarly('SKIPPED_NO_NEW_DATA', `no new labelled data for ${input.model} up to ${windowEnd} since the last decided run`, snapshot);
  }
  if (snapshot.status === 'invalid') {
    return endEarly('DATA_INVALID', snapshot.issues.join('; '), snapshot);
  }

  if (snapshot.championVersionId !== null) {
    progress.stage = 'evaluating-champion';
    details();
    champion = await shortActivity.evaluateModel.executeWithOptions(
      { summary: `Evaluate production v${snapshot.championVersion} on ${snapshot.evalRows} new held-out rows` },
      [{ versionId: snapshot.championVersionId, snapshotId: snapshot.snapshotId }],
    );
  }

  progress.stage = 'training';
  details();
  let training: CandidateSummary;
  try {
    training = await trainingActivity(input.trainingHeartbeatTimeout as Duration | undefined).trainCandidate.executeWithOptions(
      { summary: `Train a challenger with Adam on ${snapshot.trainRows} rows` },
      [{ snapshotId: snapshot.snapshotId, hyperparameters: input.hyperparameters }],
    );
  } catch (err) {
    if (failureType(err) === 'InvalidTrainingData') {
      const cause = (err as ActivityFailure).cause as ApplicationFailure;
      return endEarly('DATA_INVALID', cause.message, snapshot, { champion });
    }
    throw err;
  }

  progress.stage = 'evaluating-candidate';
  details();
  candidate = await shortActivity.evaluateModel.executeWithOptions(
    { summary: `Evaluate candidate v${training.version} on the same rows` },
    [{ versionId: training.versionId, snapshotId: snapshot.snapshotId }],
  );

  progress.stage = 'comparing';
  details();
  const decision = await shortActivity.compareModels.executeWithOptions(
    { summary: `Judge candidate v${training.version} against ${champion ? `v${champion.version}` : 'no champion'}` },
    [{ snapshotId: snapshot.snapshotId, championVersionId: snapshot.championVersionId, candidateVersionId: training.versionId, policy: input.policy }],
  );

  const common = {
    ...base, snapshot, champion, candidate, training, decision,
    championVersion: snapshot.championVersion, candidateVersion: training.version,
  };
  if (decision.decision === 'REJECT') {
    return finish({ ...common, outcome: 'REJECTED', reason: decision.reason, promotion: null, approval: null });
  }

  let actor = `workflow:${input.trigger}`;
  let reason = decision.reason;
  if (input.requireApproval) {
    const policy = input.approval ?? DEFAULT_APPROVAL;
    progress.stage = 'awaiting-approval';
    progress.candidateVersion = training.version;
    details({ decision });
    const answered = await condition(() => approval !== null, policy.timeout);
    if (!answered) {
      approval = { approved: policy.onTimeout === 'approve', approver: 'timeout-policy', reason: `no answer within ${policy.timeout}; default is ${policy.onTimeout}`, by: 'timeout' };
    }
    const record = approval!;
    if (!record.approved) {
      await shortActivity.markCandidateRejected.executeWithOptions({ summary: `Mark candidate v${training.version} not approved` }, [{ versionId: training.versionId }]);
      return finish({ ...common, outcome: 'NOT_APPROVED', reason: `not approved by ${record.approver}: ${record.reason}`, promotion: null, approval: record });
    }
    actor = record.by === 'person' ? `person:${record.approver}` : 'timeout-policy';
    reason = `${decision.reason}; approved by ${record.approver}: ${record.reason}`;
  }

  progress.stage = 'promoting';
  details({ decision });
  const promotion = await shortActivity.promoteModel.executeWithOptions(
    { summary: `Move production of ${input.model} to v${training.version}` },
    [{ modelId: snapshot.modelId, candidateVersionId: training.versionId, championVersionId: snapshot.championVersionId, reason, decision, actor }],
  );
  if (promotion.status === 'superseded') {
    return finish({
      ...common, outcome: 'SUPERSEDED', promotion, approval,
      reason: `production moved to v${promotion.fromVersion} while this run was deciding; v${training.version} was not promoted`,
    });
  }
  return finish({ ...common, outcome: 'PROMOTED', reason, promotion, approval });
}
