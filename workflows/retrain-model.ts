/**
 * retrainModel: fetch -> evaluate champion -> train candidate -> evaluate candidate -> compare ->
 * promote. Deterministic orchestration only; every side effect is an activity, and payloads carry
 * ids, hashes and metrics.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import {
  CandidateVersionKey,
  ChampionVersionKey,
  ModelNameKey,
  OutcomeKey,
  progressQuery,
  type CandidateSummary,
  type EvaluationSummary,
  type Outcome,
  type RetrainInput,
  type RunProgress,
  type RunResult,
  type SnapshotSummary,
} from './definitions.ts';

const NON_RETRYABLE = [
  'InvalidOptions', 'InvalidTrainingData', 'InvalidTestData', 'TrainingDiverged', 'ModelCorrupted',
  'UnsupportedModelFormat', 'UnknownModel', 'UnknownVersion', 'InvalidName', 'NotInWorkflow',
];

/** Database reads and writes: short, retried with backoff while PostgreSQL is away. */
const shortActivity = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Training: long, heartbeats every epoch and between batches; a retry resumes from the checkpoint. */
const trainingActivity = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

function failureType(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  return undefined;
}

export async function retrainModel(input: RetrainInput): Promise<RunResult> {
  const info = workflowInfo();
  const progress: RunProgress = { stage: 'starting', model: input.model, outcome: null };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([{ key: ModelNameKey, value: input.model }]);

  const base = { model: input.model, workflowId: info.workflowId, runId: info.runId, trigger: input.trigger };
  const finish = (result: RunResult): RunResult => {
    progress.stage = 'done';
    progress.outcome = result.outcome;
    const updates: Parameters<typeof upsertSearchAttributes>[0] = [{ key: OutcomeKey, value: result.outcome }];
    if (result.candidateVersion !== null) updates.push({ key: CandidateVersionKey, value: result.candidateVersion });
    if (result.championVersion !== null) updates.push({ key: ChampionVersionKey, value: result.championVersion });
    upsertSearchAttributes(updates);
    return result;
  };
  const endEarly = (outcome: Outcome, reason: string, snapshot: SnapshotSummary, extra: Partial<RunResult> = {}): RunResult =>
    finish({
      ...base, outcome, reason, snapshot,
      championVersion: snapshot.championVersion, candidateVersion: null, champion: null, candidate: null,
      training: null, decision: null, promotion: null, ...extra,
    });

  progress.stage = 'fetching';
  const windowEnd = input.windowEnd ?? new Date(info.runStartTime ?? Date.now()).toISOString();
  const snapshot = await shortActivity.fetchNewData.executeWithOptions(
    { summary: `Select ${input.model} examples that arrived by ${windowEnd}` },
    [{ model: input.model, windowEnd, force: input.force }],
  );
  if (snapshot.status === 'empty') {
    return endEarly('SKIPPED_NO_NEW_DATA', `no new labelled data for ${input.model} since the last decided run`, snapshot);
  }
  if (snapshot.status === 'invalid') {
    return endEarly('DATA_INVALID', snapshot.issues.join('; '), snapshot);
  }

  let champion: EvaluationSummary | null = null;
  if (snapshot.championVersionId !== null) {
    progress.stage = 'evaluating-champion';
    champion = await shortActivity.evaluateModel.executeWithOptions(
      { summary: `Evaluate production v${snapshot.championVersion} on ${snapshot.evalRows} new held-out rows` },
      [{ versionId: snapshot.championVersionId, snapshotId: snapshot.snapshotId }],
    );
  }

  progress.stage = 'training';
  let training: CandidateSummary;
  try {
    training = await trainingActivity.trainCandidate.executeWithOptions(
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
  const candidate = await shortActivity.evaluateModel.executeWithOptions(
    { summary: `Evaluate candidate v${training.version} on the same rows` },
    [{ versionId: training.versionId, snapshotId: snapshot.snapshotId }],
  );

  progress.stage = 'comparing';
  const decision = await shortActivity.compareModels.executeWithOptions(
    { summary: `Judge candidate v${training.version} against ${champion ? `v${champion.version}` : 'no champion'}` },
    [{ snapshotId: snapshot.snapshotId, championVersionId: snapshot.championVersionId, candidateVersionId: training.versionId, policy: input.policy }],
  );

  const common = {
    ...base, snapshot, champion, candidate, training, decision,
    championVersion: snapshot.championVersion, candidateVersion: training.version,
  };
  if (decision.decision === 'REJECT') {
    return finish({ ...common, outcome: 'REJECTED', reason: decision.reason, promotion: null });
  }

  progress.stage = 'promoting';
  const promotion = await shortActivity.promoteModel.executeWithOptions(
    { summary: `Move production of ${input.model} to v${training.version}` },
    [{
      modelId: snapshot.modelId,
      candidateVersionId: training.versionId,
      championVersionId: snapshot.championVersionId,
      reason: decision.reason,
      decision,
      actor: `workflow:${input.trigger}`,
    }],
  );
  if (promotion.status === 'superseded') {
    return finish({
      ...common, outcome: 'SUPERSEDED', promotion,
      reason: `production moved to v${promotion.fromVersion} while this run was deciding; v${training.version} was not promoted`,
    });
  }
  return finish({ ...common, outcome: 'PROMOTED', reason: decision.reason, promotion });
}
