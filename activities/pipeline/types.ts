/**
 * What the pipeline's activities take and return: ids, hashes, counts and metrics only (weights and
 * examples stay in the registry). Workflows and the client import these with `import type`.
 */
import type { DriftReport } from '../../ml/drift.ts';
import type { ComparisonPolicy, DecisionRecord } from '../../ml/compare.ts';
import type { Hyperparameters } from '../../ml/hyperparameters.ts';

export type { Hyperparameters };

/**
 * One retraining per model at a time, guaranteed by Temporal: a run holds its model's slot, a child
 * workflow with the fixed id `run-slot-<model>`, from before it reads data until it ends. Temporal
 * refuses a second running workflow with that id, and terminates the slot when its holder closes
 * in any way (completed, failed, cancelled, terminated, timed out).
 */
export const runSlotWorkflowId = (model: string): string => `run-slot-${model}`;

/** The workflow execution an activity works for: the key of everything it writes. */
export interface RunRef {
  workflowId: string;
  runId: string;
}

export interface MonitoredMetrics {
  examples: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  logLoss?: number;
  rocAuc?: number;
}

export interface FetchNewDataInput {
  model: string;
  windowEnd: string;
  force?: boolean;
}

export interface SnapshotSummary {
  snapshotId: number;
  modelId: number;
  status: 'valid' | 'invalid' | 'empty';
  /** Rows that arrived since the last decided run (also for a forced run evaluated on every row to date). */
  newRows: number;
  /** Rows in the run's window: the new ones, or every row to date for a forced run with too few new held-out rows. */
  windowRows: number;
  allRowsToDate: boolean;
  trainRows: number;
  /** Held-out rows of the window: both models are measured on these. */
  evalRows: number;
  labelCounts: Record<string, number>;
  contentHash: string;
  issues: string[];
  drift: Omit<DriftReport, 'lengths'> | null;
  championVersionId: number | null;
  championVersion: number | null;
}

export interface EvaluateModelInput {
  versionId: number;
  snapshotId: number;
}

export interface EvaluationSummary {
  versionId: number;
  version: number;
  metrics: MonitoredMetrics;
}

export type TrainingMode = 'full' | 'update';

/** Update mode's replay of older rows beside the new ones (see ml/replay-sample.ts). */
export interface ReplaySettings {
  /** Older rows to replay; wins over share. */
  size?: number;
  /** Share of the training set that replayed rows make up, in [0, 1). Default 0.5. */
  share?: number;
}

export interface TrainCandidateInput {
  snapshotId: number;
  hyperparameters?: Hyperparameters;
  /** full: all training rows to date from zero; update: continue the champion on the new rows and a replay sample. Default: the model's setting (full). */
  mode?: TrainingMode;
  replay?: ReplaySettings;
  /** A full retrain trains on at most this many of the most recent training rows. Default: all history. */
  historyRows?: number;
}

export interface TrainingAttempt {
  attempt: number;
  resumedFromEpoch: number;
}

/** What the training activity heartbeats: enough to resume and to show progress. */
export interface TrainingHeartbeat {
  epoch: number;
  trainLoss: number | null;
  validationLoss: number | null;
  attempts: TrainingAttempt[];
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
  /** How it was trained, and from what (the version's lineage). */
  mode: TrainingMode;
  /** Update mode: the version it continued; null for full training. */
  warmStartFrom: number | null;
  /** Rows it trained on: all (full), or the new ones and the replayed older ones (update). */
  trainRows: number;
  replayRows: number;
}

export interface CompareModelsInput {
  snapshotId: number;
  championVersionId: number | null;
  candidateVersionId: number;
  policy?: ComparisonPolicy;
}

export interface PromoteModelInput {
  modelId: number;
  candidateVersionId: number;
  championVersionId: number | null;
  reason: string;
  decision: DecisionRecord | null;
  actor: string;
  kind?: 'promote' | 'rollback' | 'override';
}

export interface PromotionSummary {
  status: 'promoted' | 'superseded';
  fromVersion: number | null;
  toVersion: number;
  alreadyDone: boolean;
}

/** Input of setProductionVersion: an audited manual promotion or a rollback. */
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
