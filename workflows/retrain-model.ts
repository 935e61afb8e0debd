/**
 * retrainModel: (hold the model's run slot) -> fetch -> evaluate champion -> train candidate ->
 * evaluate candidate -> compare -> (approval) -> promote. Deterministic orchestration only; every
 * side effect is an activity, and payloads carry ids, hashes and metrics. The run explains itself
 * in the Temporal UI: current details hold a Markdown table of champion vs candidate and the
 * decision, search attributes (ModelName, Outcome, CandidateVersion, ChampionVersion) make runs
 * findable.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type Duration } from '@temporalio/common';
import type { Activities } from '../activities/index.ts';
import type { CandidateSummary, EvaluationSummary, SnapshotSummary } from '../activities/pipeline/types.ts';
import type { DecisionRecord } from '../ml/compare.ts';
import {
  approveUpdate,
  cancelReasonSignal,
  CandidateVersionKey,
  ChampionVersionKey,
  DEFAULT_APPROVAL,
  ModelNameKey,
  OutcomeKey,
  progressQuery,
  rejectUpdate,
  releaseRunSlotSignal,
  runSlotWorkflowId,
  ScheduledStartTimeKey,
  type ApprovalRecord,
  type ApprovalRequest,
  type Outcome,
  type RetrainInput,
  type RunProgress,
  type RunResult,
  type Stage,
} from './definitions.ts';
import { renderRunDetails } from './run-details.ts';
import { checkRetrainInput, InvalidInputError } from './validate-input.ts';
import { describeRootCause, rootCause } from './failure-cause.ts';
import { modelRunSlot } from './run-slot.ts';
import { announce } from './announce.ts';
import { databaseStepRetry, PERMANENT_FAILURE_TYPES } from './retry-policies.ts';

/**
 * Database reads and writes and evaluation: short; retried with backoff while PostgreSQL is away,
 * and on another worker when one dies mid-step (after the start-to-close timeout).
 */
const shortActivities = (startToCloseTimeout: Duration = '1 minute') =>
  proxyActivities<Activities>({
    startToCloseTimeout,
    retry: databaseStepRetry,
  });

/**
 * Training: long, heartbeats between batches and every epoch; a retry (after a lost worker's
 * heartbeat timeout) resumes from the last epoch checkpoint.
 */
const trainingActivity = (heartbeatTimeout: Duration = '30 seconds') =>
  proxyActivities<Activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout,
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: PERMANENT_FAILURE_TYPES,
    },
  });

/** What a run knows so far; the progress query, the UI details and the result read it. */
interface RunState {
  input: RetrainInput;
  /** Who asked to cancel the run and why (the cancelReason signal, sent before the cancellation). */
  cancelReason: { reason: string; by: string } | null;
  progress: RunProgress;
  approval: ApprovalRecord | null;
  champion: EvaluationSummary | null;
  candidate: EvaluationSummary | null;
}

export async function retrainModel(input: RetrainInput): Promise<RunResult> {
  const state: RunState = {
    input,
    progress: { stage: 'starting', model: String(input?.model), outcome: null, candidateVersion: null },
    approval: null,
    champion: null,
    candidate: null,
    cancelReason: null,
  };
  registerHandlers(state);
  try {
    try {
      checkRetrainInput(input);
    } catch (err) {
      if (err instanceof InvalidInputError) throw ApplicationFailure.nonRetryable(`invalid run input: ${err.message}`, 'InvalidInput');
      throw err;
    }
    upsertSearchAttributes([{ key: ModelNameKey, value: input.model }]);
    // Runs started before the run slot existed replay without it.
    if (!patched('run-slot')) return await runPipeline(state);
    const slot = await acquireRunSlot(input.model);
    if (!slot.held) {
      return await finish(state, {
        ...emptyResult(state),
        outcome: 'SKIPPED_RUN_IN_PROGRESS',
        reason: `model ${input.model} already has a run in progress${slot.holder ? `: ${slot.holder}` : ''}; this run did nothing`,
      });
    }
    try {
      return await runPipeline(state);
    } finally {
      await releaseRunSlot(slot.handle);
    }
  } catch (err) {
    await recordFailure(state, err);
    throw err;
  }
}

/**
 * A run that fails or is cancelled says so where people look (Outcome FAILED or CANCELLED, the UI's
 * current details with the root cause) and abandons its candidate; it records no outcome in the
 * registry, so its data goes to the next run.
 */
async function recordFailure(state: RunState, err: unknown): Promise<void> {
  const cancelled = isCancellation(err);
  const cause = rootCause(err);
  const outcome = cancelled ? 'CANCELLED' : 'FAILED';
  const why =
    cancelled && state.cancelReason ? `cancelled by ${state.cancelReason.by}: ${state.cancelReason.reason}` : describeRootCause(cause);
  await CancellationScope.nonCancellable(async () => {
    if (!cancelled) {
      const { workflowId, runId } = workflowInfo();
      await announce({
        event: 'failed',
        model: state.progress.model,
        summary: `run failed during ${state.progress.stage}: ${why}`,
        workflowId,
        runId,
        details: { cause },
      });
    }
    const trained = ['training', 'evaluating-candidate', 'comparing', 'awaiting-approval', 'promoting'].includes(state.progress.stage);
    let abandoned: number | null = null;
    if (trained) abandoned = (await shortActivities(state.input.stepTimeout as Duration | undefined).abandonRun()).abandonedVersion;
    const stage = state.progress.stage;
    state.progress.stage = 'done';
    upsertSearchAttributes([{ key: OutcomeKey, value: outcome }]);
    setCurrentDetails(
      [
        `### ${state.progress.model}: ${outcome} (during ${stage})`,
        '',
        why,
        ...(abandoned !== null ? ['', `Candidate v${abandoned} was marked abandoned; the data goes to the next run.`] : []),
      ].join('\n'),
    );
  });
}

type ShortActivities = ReturnType<typeof shortActivities>;

/** What a run knows once the candidate is judged: the result's common part. */
type Decided = Omit<RunResult, 'outcome' | 'reason'> & { decision: DecisionRecord; training: CandidateSummary; candidateVersion: number };

/**
 * The pipeline as named steps: fetch the new data (or end: none, or invalid), evaluate the champion,
 * train (or end: data that cannot train), evaluate the candidate, judge it (or end: rejected), ask
 * for approval when the run requires it (or end: not approved), promote (superseded when
 * production moved meanwhile). Each step is the same activity calls in the same order as ever:
 * recorded histories replay.
 */
async function runPipeline(state: RunState): Promise<RunResult> {
  const shortActivity = shortActivities(state.input.stepTimeout as Duration | undefined);
  const snapshot = await fetchSnapshot(state, shortActivity);
  const early = { ...emptyResult(state), snapshot, championVersion: snapshot.championVersion };
  if (snapshot.status !== 'valid') return await finish(state, { ...early, ...noDataEnding(state, snapshot) });

  await evaluateChampion(state, shortActivity, snapshot);

  enterStage(state, 'training');
  const training = await trainOrReport(state, snapshot);
  if ('outcome' in training) return await finish(state, { ...early, champion: state.champion, ...training });

  await evaluateCandidate(state, shortActivity, snapshot, training);
  const decision = await judgeCandidate(state, shortActivity, snapshot, training);
  const decided: Decided = {
    ...early,
    champion: state.champion,
    candidate: state.candidate,
    training,
    decision,
    candidateVersion: training.version,
  };
  if (decision.decision === 'REJECT') return await finish(state, { ...decided, outcome: 'REJECTED', reason: decision.reason });

  const approval = await approvalStep(state, shortActivity, decided);
  if ('outcome' in approval) return await finish(state, approval);
  return await promoteCandidate(state, shortActivity, snapshot, decided, approval);
}

/** Fetching: the run's snapshot of the new labelled data up to its window end. */
async function fetchSnapshot(state: RunState, shortActivity: ShortActivities): Promise<SnapshotSummary> {
  const { input } = state;
  enterStage(state, 'fetching');
  const windowEnd = runWindowEnd(input);
  return await shortActivity.fetchNewData.executeWithOptions({ summary: `Select ${input.model} examples that arrived by ${windowEnd}` }, [
    { model: input.model, windowEnd, force: input.force },
  ]);
}

/** The ending of a run whose snapshot is empty or invalid. */
function noDataEnding(state: RunState, snapshot: SnapshotSummary): Pick<RunResult, 'outcome' | 'reason'> {
  if (snapshot.status === 'invalid') return { outcome: 'DATA_INVALID', reason: snapshot.issues.join('; ') };
  const { input } = state;
  return {
    outcome: 'SKIPPED_NO_NEW_DATA',
    reason: `no new labelled data for ${input.model} up to ${runWindowEnd(input)} since the last decided run`,
  };
}

/** Evaluating the champion (when the model has one) on the snapshot's held-out rows. */
async function evaluateChampion(state: RunState, shortActivity: ShortActivities, snapshot: SnapshotSummary): Promise<void> {
  if (snapshot.championVersionId === null) return;
  enterStage(state, 'evaluating-champion');
  state.champion = await shortActivity.evaluateModel.executeWithOptions(
    { summary: `Evaluate production v${snapshot.championVersion} on ${snapshot.evalRows} new held-out rows` },
    [{ versionId: snapshot.championVersionId, snapshotId: snapshot.snapshotId }],
  );
}

/** Evaluating the candidate on the same rows. */
async function evaluateCandidate(
  state: RunState,
  shortActivity: ShortActivities,
  snapshot: SnapshotSummary,
  training: CandidateSummary,
): Promise<void> {
  enterStage(state, 'evaluating-candidate');
  state.candidate = await shortActivity.evaluateModel.executeWithOptions(
    { summary: `Evaluate candidate v${training.version} on the same rows` },
    [{ versionId: training.versionId, snapshotId: snapshot.snapshotId }],
  );
}

/** Comparing: the judge's decision record, under the run's policy (else the model's, else the default). */
async function judgeCandidate(
  state: RunState,
  shortActivity: ShortActivities,
  snapshot: SnapshotSummary,
  training: CandidateSummary,
): Promise<DecisionRecord> {
  enterStage(state, 'comparing');
  return await shortActivity.compareModels.executeWithOptions(
    { summary: `Judge candidate v${training.version} against ${state.champion ? `v${state.champion.version}` : 'no champion'}` },
    [
      {
        snapshotId: snapshot.snapshotId,
        championVersionId: snapshot.championVersionId,
        candidateVersionId: training.versionId,
        policy: state.input.policy,
      },
    ],
  );
}

/**
 * Who promotes and why: the workflow itself, or (when the run requires approval) the person or the
 * timeout policy that approved; a candidate not approved is marked so and ends the run.
 */
async function approvalStep(
  state: RunState,
  shortActivity: ShortActivities,
  decided: Decided,
): Promise<{ actor: string; reason: string } | RunResult> {
  const { input } = state;
  const { training, decision } = decided;
  if (!input.requireApproval) return { actor: `workflow:${input.trigger}`, reason: decision.reason };
  const record = await awaitApproval(state, training, decision);
  if (!record.approved) {
    await shortActivity.markCandidateRejected.executeWithOptions({ summary: `Mark candidate v${training.version} not approved` }, [
      { versionId: training.versionId },
    ]);
    return { ...decided, outcome: 'NOT_APPROVED', reason: `not approved by ${record.approver}: ${record.reason}`, approval: record };
  }
  return {
    actor: record.by === 'person' ? `person:${record.approver}` : 'timeout-policy',
    reason: `${decision.reason}; approved by ${record.approver}: ${record.reason}`,
  };
}

/** Promoting: production moves to the candidate by compare-and-swap, unless it moved under the run. */
async function promoteCandidate(
  state: RunState,
  shortActivity: ShortActivities,
  snapshot: SnapshotSummary,
  decided: Decided,
  { actor, reason }: { actor: string; reason: string },
): Promise<RunResult> {
  const { training, decision } = decided;
  enterStage(state, 'promoting', { decision });
  const promotion = await shortActivity.promoteModel.executeWithOptions(
    { summary: `Move production of ${state.input.model} to v${training.version}` },
    [
      {
        modelId: snapshot.modelId,
        candidateVersionId: training.versionId,
        championVersionId: snapshot.championVersionId,
        reason,
        decision,
        actor,
      },
    ],
  );
  const promoted = { ...decided, promotion, approval: state.approval };
  if (promotion.status === 'superseded') {
    const why = `production moved to v${promotion.fromVersion} while this run was deciding; v${training.version} was not promoted`;
    return await finish(state, { ...promoted, outcome: 'SUPERSEDED', reason: why });
  }
  return await finish(state, { ...promoted, outcome: 'PROMOTED', reason });
}

/** The progress query and the approval updates (validated before they are accepted). */
function registerHandlers(state: RunState): void {
  const { workflowId } = workflowInfo();
  setHandler(progressQuery, () => state.progress);
  setHandler(cancelReasonSignal, (why) => {
    state.cancelReason ??= why;
  });
  // The first answer decides; a later one is refused naming it (checked again in the handler, for
  // answers validated in the same workflow task).
  const alreadyAnswered = (): void => {
    const a = state.approval;
    if (a) throw new Error(`run ${workflowId} was already ${a.approved ? 'approved' : 'rejected'} by ${a.approver}: ${a.reason}`);
  };
  const validate = (request: ApprovalRequest): void => {
    alreadyAnswered();
    const { progress } = state;
    if (progress.stage !== 'awaiting-approval' || progress.candidateVersion === null) {
      throw new Error(`run ${workflowId} is not waiting for approval (stage: ${progress.stage})`);
    }
    if (request.candidateVersion !== progress.candidateVersion) {
      throw new Error(`candidate v${request.candidateVersion} is not the one waiting for approval (v${progress.candidateVersion})`);
    }
    if (!request.reason?.trim()) throw new Error('a reason is required');
    if (!request.approver?.trim()) throw new Error('an approver is required');
  };
  const answer =
    (approved: boolean) =>
    (request: ApprovalRequest): ApprovalRecord => {
      alreadyAnswered();
      state.approval = { approved, approver: request.approver, reason: request.reason, by: 'person' };
      return state.approval;
    };
  setHandler(approveUpdate, answer(true), { validator: validate });
  setHandler(rejectUpdate, answer(false), { validator: validate });
}

type SlotHandle = ChildWorkflowHandle<typeof modelRunSlot>;

/** Starts the model's slot as a child; Temporal refuses it while another run holds it. */
async function acquireRunSlot(model: string): Promise<{ held: true; handle: SlotHandle } | { held: false; holder: string | null }> {
  const { workflowId } = workflowInfo();
  try {
    const handle = await startChild(modelRunSlot, {
      workflowId: runSlotWorkflowId(model),
      args: [{ model, holder: workflowId }],
      parentClosePolicy: ParentClosePolicy.TERMINATE,
      staticSummary: `Run slot of ${model}, held by ${workflowId}`,
    });
    return { held: true, handle };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const holder = await shortActivities().runSlotHolder.executeWithOptions({ summary: `Find the run holding ${model}'s slot` }, [
      { model },
    ]);
    return { held: false, holder };
  }
}

/** Releases the slot and waits for it to end, so the next run may start as soon as this one returns. */
async function releaseRunSlot(handle: SlotHandle): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    await handle.signal(releaseRunSlotSignal);
    await handle.result();
  });
}

/**
 * A scheduled run (and each backfilled one) ends its window at its scheduled time, not "now". The
 * search attribute keeps whole seconds, so the window runs to the end of the scheduled second.
 */
function runWindowEnd(input: RetrainInput): string {
  if (input.windowEnd) return input.windowEnd;
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(ScheduledStartTimeKey);
  const scheduledEnd = scheduledAt ? new Date(Math.floor(scheduledAt.getTime() / 1000) * 1000 + 999) : null;
  return (scheduledEnd ?? new Date(info.runStartTime ?? Date.now())).toISOString();
}

/** Trains the candidate; data that cannot train is an outcome of the run, not a failure. */
async function trainOrReport(state: RunState, snapshot: SnapshotSummary): Promise<CandidateSummary | { outcome: Outcome; reason: string }> {
  try {
    return await trainingActivity(state.input.trainingHeartbeatTimeout as Duration | undefined).trainCandidate.executeWithOptions(
      { summary: `Train a challenger with Adam on ${snapshot.trainRows} rows` },
      [
        {
          snapshotId: snapshot.snapshotId,
          hyperparameters: state.input.hyperparameters,
          mode: state.input.mode,
          replay: state.input.replay,
          historyRows: state.input.historyRows,
        },
      ],
    );
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'InvalidTrainingData') {
      return { outcome: 'DATA_INVALID', reason: err.cause.message };
    }
    throw err;
  }
}

/** Waits for a person's answer (an Update) or the policy's timeout default. */
async function awaitApproval(state: RunState, training: CandidateSummary, decision: DecisionRecord): Promise<ApprovalRecord> {
  const policy = state.input.approval ?? DEFAULT_APPROVAL;
  state.progress.candidateVersion = training.version;
  enterStage(state, 'awaiting-approval', { decision });
  const { workflowId, runId } = workflowInfo();
  await announce({
    event: 'approval',
    model: state.input.model,
    summary: `candidate v${training.version} waits for approval (${decision.reason}); the default after ${policy.timeout} is ${policy.onTimeout}`,
    command: `nightshift approve ${workflowId} --reason TEXT   (or: nightshift reject ${workflowId} --reason TEXT)`,
    workflowId,
    runId,
    details: { candidateVersion: training.version, decision: decision.decision, checks: decision.checks },
  });
  const answered = await condition(() => state.approval !== null, policy.timeout as Duration);
  if (!answered) {
    state.approval = {
      approved: policy.onTimeout === 'approve',
      approver: 'timeout-policy',
      reason: `no answer within ${policy.timeout}; default is ${policy.onTimeout}`,
      by: 'timeout',
    };
  }
  return state.approval!;
}

function enterStage(state: RunState, stage: Stage, extra: Partial<RunResult> = {}): void {
  state.progress.stage = stage;
  showDetails(state, extra);
}

function showDetails(state: RunState, extra: Partial<RunResult> = {}): void {
  setCurrentDetails(
    renderRunDetails({
      model: state.input.model,
      stage: state.progress.stage,
      champion: state.champion,
      candidate: state.candidate,
      startedBecause: state.input.reason ? `${state.input.trigger}: ${state.input.reason}` : null,
      ...extra,
    }),
  );
}

/** A result with nothing decided yet; each ending fills in what it knows. */
function emptyResult(state: RunState): Omit<RunResult, 'outcome' | 'reason'> {
  const info = workflowInfo();
  return {
    model: state.input.model,
    workflowId: info.workflowId,
    runId: info.runId,
    trigger: state.input.trigger,
    championVersion: null,
    candidateVersion: null,
    champion: null,
    candidate: null,
    snapshot: null,
    training: null,
    decision: null,
    promotion: null,
    approval: null,
  };
}

const ANNOUNCED: Partial<Record<Outcome, 'promoted' | 'rejected' | 'failed'>> = {
  PROMOTED: 'promoted',
  REJECTED: 'rejected',
  NOT_APPROVED: 'rejected',
  // The data needs someone's attention, as a failure does. Histories from before the patch ended without announcing it.
  DATA_INVALID: 'failed',
};

/** Records the outcome where people look: the progress query, search attributes, UI details, webhooks. */
async function finish(state: RunState, result: RunResult): Promise<RunResult> {
  state.progress.stage = 'done';
  state.progress.outcome = result.outcome;
  const updates: Parameters<typeof upsertSearchAttributes>[0] = [{ key: OutcomeKey, value: result.outcome }];
  if (result.candidateVersion !== null) updates.push({ key: CandidateVersionKey, value: result.candidateVersion });
  if (result.championVersion !== null) updates.push({ key: ChampionVersionKey, value: result.championVersion });
  upsertSearchAttributes(updates);
  showDetails(state, result);
  const event = ANNOUNCED[result.outcome];
  if (event && (result.outcome !== 'DATA_INVALID' || patched('announce-data-invalid'))) {
    const versions = `${result.championVersion === null ? 'no champion' : `champion v${result.championVersion}`} -> candidate v${result.candidateVersion}`;
    await announce({
      event,
      model: result.model,
      summary: `${result.outcome} (${versions}): ${result.reason}`,
      workflowId: result.workflowId,
      runId: result.runId,
      details: {
        outcome: result.outcome,
        championVersion: result.championVersion,
        candidateVersion: result.candidateVersion,
        champion: result.champion?.metrics ?? null,
        candidate: result.candidate?.metrics ?? null,
      },
    });
  }
  return result;
}
