/**
 * What client, worker and workflows share: workflow inputs and results, search attribute keys,
 * and the query, update and signal definitions. Activity payload types live with the activities
 * (activities/pipeline/types.ts). Imports nothing with side effects.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ComparisonPolicy, DecisionRecord } from '../ml/compare.ts';
import type {
  CandidateSummary,
  EvaluationSummary,
  Hyperparameters,
  PromotionSummary,
  ReplaySettings,
  TrainingMode,
  SnapshotSummary,
} from '../activities/pipeline/types.ts';

export const ModelNameKey = defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD);
export const OutcomeKey = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);
export const CandidateVersionKey = defineSearchAttributeKey('CandidateVersion', SearchAttributeType.INT);
export const ChampionVersionKey = defineSearchAttributeKey('ChampionVersion', SearchAttributeType.INT);
export const SEARCH_ATTRIBUTES = [ModelNameKey, OutcomeKey, CandidateVersionKey, ChampionVersionKey];
/** Set by Temporal on runs a schedule starts: the scheduled (not actual) start time. */
export const ScheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** Who started a run: a person, the nightly schedule, `nightshift up`, the monitor (decay or drift), a test. */
export type Trigger = 'manual' | 'schedule' | 'startup' | 'decay' | 'drift' | 'test';

export interface ApprovalPolicy {
  /** How long to wait for a person, e.g. '24 hours'. */
  timeout: string;
  /** What happens when nobody answers in time. */
  onTimeout: 'approve' | 'reject';
}

export const DEFAULT_APPROVAL: ApprovalPolicy = { timeout: '24 hours', onTimeout: 'reject' };

export interface RetrainInput {
  model: string;
  trigger: Trigger;
  /** Why the run was started, in numbers (the monitor says which metric breached which threshold). */
  reason?: string;
  /** ISO time; examples that arrived after it are not in this run's window. Default: run start. */
  windowEnd?: string;
  force?: boolean;
  hyperparameters?: Hyperparameters;
  /** full (train from zero on all history) or update (continue the champion); default: the model's setting. */
  mode?: TrainingMode;
  /** Update mode's replay of older rows. */
  replay?: ReplaySettings;
  /** A full retrain trains on at most this many of the most recent training rows. Default: all history. */
  historyRows?: number;
  policy?: ComparisonPolicy;
  /** Wait for a person's approval (an Update) after comparing, before promoting. */
  requireApproval?: boolean;
  approval?: ApprovalPolicy;
  /** How long training may go without a heartbeat before Temporal retries it elsewhere. Default '30 seconds'. */
  trainingHeartbeatTimeout?: string;
  /** How long a database step (fetch, evaluate, compare, promote) may run before it is retried elsewhere. Default '1 minute'. */
  stepTimeout?: string;
}

export type Outcome =
  'PROMOTED' | 'REJECTED' | 'SKIPPED_NO_NEW_DATA' | 'SKIPPED_RUN_IN_PROGRESS' | 'DATA_INVALID' | 'SUPERSEDED' | 'NOT_APPROVED';

export interface RunResult {
  outcome: Outcome;
  model: string;
  workflowId: string;
  runId: string;
  trigger: Trigger;
  reason: string;
  championVersion: number | null;
  candidateVersion: number | null;
  champion: EvaluationSummary | null;
  candidate: EvaluationSummary | null;
  /** Null only when the run never fetched data (another run of the model held its slot). */
  snapshot: SnapshotSummary | null;
  training: CandidateSummary | null;
  decision: DecisionRecord | null;
  promotion: PromotionSummary | null;
  approval: ApprovalRecord | null;
}

export interface ApprovalRequest {
  /** The candidate version the approver saw; a stale one is refused. */
  candidateVersion: number;
  approver: string;
  reason: string;
}

export interface ApprovalRecord {
  approved: boolean;
  approver: string;
  reason: string;
  /** 'person' when someone answered; 'timeout' when the policy's default applied. */
  by: 'person' | 'timeout';
}

export type Stage =
  | 'starting'
  | 'fetching'
  | 'evaluating-champion'
  | 'training'
  | 'evaluating-candidate'
  | 'comparing'
  | 'awaiting-approval'
  | 'promoting'
  | 'done';

export interface RunProgress {
  stage: Stage;
  model: string;
  outcome: Outcome | null;
  /** The candidate waiting for approval, while stage is awaiting-approval. */
  candidateVersion: number | null;
}

export const progressQuery = defineQuery<RunProgress>('progress');
export const approveUpdate = defineUpdate<ApprovalRecord, [ApprovalRequest]>('approve');
export const rejectUpdate = defineUpdate<ApprovalRecord, [ApprovalRequest]>('reject');

export { runSlotWorkflowId } from '../activities/pipeline/types.ts';

export interface RunSlotInput {
  model: string;
  /** The workflow id of the run holding the slot. */
  holder: string;
}

export const releaseRunSlotSignal = defineSignal('release');

/** Who cancels a run and why: `nightshift runs cancel` signals this, then requests the cancellation. */
export const cancelReasonSignal = defineSignal<[{ reason: string; by: string }]>('cancelReason');

/** The monitor of a model runs on this schedule (every 15 minutes by default). */
export const monitorScheduleId = (model: string): string => `monitor-${model}`;

export interface MonitorInput {
  model: string;
}

export interface MonitorResult {
  model: string;
  version: number | null;
  trigger: 'decay' | 'drift' | null;
  action: 'none' | 'retrain-started' | 'cooldown' | 'run-in-progress' | 'retrain-disabled' | 'no-production';
  reason: string;
  retrainWorkflowId: string | null;
}
