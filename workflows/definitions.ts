/**
 * What client, worker and workflow share: names, payload types (ids, hashes and metrics only),
 * search attribute keys and query definitions. Imports nothing with side effects.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ComparisonPolicy, DecisionRecord } from '../activities/ml/compare.ts';
import type { DriftReport } from '../activities/ml/drift.ts';

export const DEFAULT_TASK_QUEUE = 'nightshift';

/**
 * Failure types no retry fixes (the activities already raise them as non-retryable; the retry
 * policies name them too, so a failure raised without the flag is not retried either).
 */
export const PERMANENT_FAILURE_TYPES = [
  'InvalidOptions', 'InvalidTrainingData', 'InvalidTestData', 'TrainingDiverged', 'ModelCorrupted',
  'UnsupportedModelFormat', 'UnknownModel', 'UnknownVersion', 'InvalidName', 'NoPreviousVersion', 'NotInWorkflow',
];

export const ModelNameKey = defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD);
export const OutcomeKey = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);
export const CandidateVersionKey = defineSearchAttributeKey('CandidateVersion', SearchAttributeType.INT);
export const ChampionVersionKey = defineSearchAttributeKey('ChampionVersion', SearchAttributeType.INT);
export const SEARCH_ATTRIBUTES = [ModelNameKey, OutcomeKey, CandidateVersionKey, ChampionVersionKey];
/** Set by Temporal on runs a schedule starts: the scheduled (not actual) start time. */
export const ScheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export type Trigger = 'manual' | 'schedule' | 'startup' | 'test';

export interface ApprovalPolicy {
  /** How long to wait for a person, e.g. '24 hours'. */
  timeout: string;
  /** What happens when nobody answers in time. */
  onTimeout: 'approve' | 'reject';
}

export const DEFAULT_APPROVAL: ApprovalPolicy = { timeout: '24 hours', onTimeout: 'reject' };

/** Hyperparameters a run may override; the same names as the CLI flags. */
export interface Hyperparameters {
  epochs?: number;
  learningRate?: number;
  batchSize?: number;
  seed?: number;
  buckets?: number;
  l2?: number;
  weightDecay?: number;
  validationFraction?: number;
  earlyStopping?: boolean;
  bigrams?: boolean;
  classWeights?: 'none' | 'balanced';
}

export interface RetrainInput {
  model: string;
  trigger: Trigger;
  /** ISO time; examples that arrived after it are not in this run's window. Default: run start. */
  windowEnd?: string;
  force?: boolean;
  hyperparameters?: Hyperparameters;
  policy?: ComparisonPolicy;
  /** Wait for a person's approval (an Update) after comparing, before promoting. */
  requireApproval?: boolean;
  approval?: ApprovalPolicy;
  /** How long training may go without a heartbeat before Temporal retries it elsewhere. Default '30 seconds'. */
  trainingHeartbeatTimeout?: string;
  /** How long a database step (fetch, evaluate, compare, promote) may run before it is retried elsewhere. Default '1 minute'. */
  stepTimeout?: string;
}

export type Outcome = 'PROMOTED' | 'REJECTED' | 'SKIPPED_NO_NEW_DATA' | 'DATA_INVALID' | 'SUPERSEDED' | 'NOT_APPROVED';

export interface MonitoredMetrics {
  examples: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  logLoss?: number;
  rocAuc?: number;
}

export interface SnapshotSummary {
  snapshotId: number;
  modelId: number;
  status: 'valid' | 'invalid' | 'empty';
  newRows: number;
  trainRows: number;
  evalRows: number;
  labelCounts: Record<string, number>;
  contentHash: string;
  issues: string[];
  drift: Omit<DriftReport, 'lengths'> | null;
  championVersionId: number | null;
  championVersion: number | null;
}

export interface EvaluationSummary {
  versionId: number;
  version: number;
  metrics: MonitoredMetrics;
}

export interface TrainingAttempt {
  attempt: number;
  resumedFromEpoch: number;
}

export interface CandidateSummary {
  versionId: number;
  version: number;
  sha256: string;
  epochs: number;
  stoppedEarly: boolean;
  finalTrainLoss: number | null;
  finalValidationLoss: number | null;
  attempts: TrainingAttempt[];
  trainSeconds: number;
}

export interface PromotionSummary {
  status: 'promoted' | 'superseded';
  fromVersion: number | null;
  toVersion: number;
  alreadyDone: boolean;
}

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
  snapshot: SnapshotSummary;
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
  | 'starting' | 'fetching' | 'evaluating-champion' | 'training' | 'evaluating-candidate' | 'comparing'
  | 'awaiting-approval' | 'promoting' | 'done';

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

/** Input of setProductionVersion: an audited manual promotion or a rollback, run as a workflow. */
export interface SetProductionInput {
  model: string;
  kind: 'override' | 'rollback';
  /** The version to make production; for a rollback, omitted means the previous production version. */
  version?: number;
  reason: string;
  actor: string;
}

export interface SetProductionResult {
  model: string;
  kind: 'override' | 'rollback';
  fromVersion: number | null;
  toVersion: number;
  alreadyDone: boolean;
}
