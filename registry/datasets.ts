/**
 * Dataset snapshots: the window of examples one run consumed. The watermark is the highest
 * `to_example_id` of a snapshot that ended in a decision, so a run that failed before deciding
 * leaves its rows "new" for the next one.
 */
import type { DatasetProfile, DriftReport } from '../ml/drift.ts';
import type { Queryable } from './pool.ts';

export type SnapshotStatus = 'valid' | 'invalid' | 'empty';

export interface SnapshotInput {
  modelId: number;
  workflowId: string;
  runId: string;
  status: SnapshotStatus;
  championVersionId: number | null;
  afterExampleId: number;
  toExampleId: number;
  windowEnd: string;
  /** Rows that arrived since the last decided run (also for a forced run evaluated on every row to date). */
  newRows: number;
  /** A forced run with too few new held-out rows: the window is every row to date. */
  allRowsToDate: boolean;
  trainRows: number;
  evalRows: number;
  labelCounts: Record<string, number>;
  contentHash: string;
  profile: DatasetProfile;
  drift: DriftReport | null;
  issues: string[];
}

export interface SnapshotRow extends SnapshotInput {
  id: number;
  createdAt: string;
}

interface RawSnapshot {
  id: string;
  model_id: string;
  workflow_id: string;
  run_id: string;
  status: SnapshotStatus;
  champion_version_id: string | null;
  after_example_id: string;
  to_example_id: string;
  window_end: Date;
  new_rows: number;
  all_rows_to_date: boolean;
  train_rows: number;
  eval_rows: number;
  label_counts: Record<string, number>;
  content_hash: string;
  profile: DatasetProfile;
  drift: DriftReport | null;
  issues: string[];
  created_at: Date;
}

const toSnapshot = (r: RawSnapshot): SnapshotRow => ({
  id: Number(r.id),
  modelId: Number(r.model_id),
  workflowId: r.workflow_id,
  runId: r.run_id,
  status: r.status,
  championVersionId: r.champion_version_id === null ? null : Number(r.champion_version_id),
  afterExampleId: Number(r.after_example_id),
  toExampleId: Number(r.to_example_id),
  windowEnd: r.window_end.toISOString(),
  newRows: r.new_rows,
  allRowsToDate: r.all_rows_to_date,
  trainRows: r.train_rows,
  evalRows: r.eval_rows,
  labelCounts: r.label_counts,
  contentHash: r.content_hash,
  profile: r.profile,
  drift: r.drift,
  issues: r.issues,
  createdAt: r.created_at.toISOString(),
});

/** Inserts the run's snapshot, or returns the one a previous attempt of the same run wrote. */
export async function saveSnapshot(db: Queryable, s: SnapshotInput): Promise<SnapshotRow> {
  await db.query(
    `INSERT INTO dataset_snapshots (model_id, workflow_id, run_id, status, after_example_id, to_example_id, window_end,
       new_rows, train_rows, eval_rows, label_counts, content_hash, profile, drift, issues, champion_version_id, all_rows_to_date)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
     ON CONFLICT (workflow_id, run_id) DO NOTHING`,
    [
      s.modelId,
      s.workflowId,
      s.runId,
      s.status,
      s.afterExampleId,
      s.toExampleId,
      s.windowEnd,
      s.newRows,
      s.trainRows,
      s.evalRows,
      JSON.stringify(s.labelCounts),
      s.contentHash,
      JSON.stringify(s.profile),
      s.drift === null ? null : JSON.stringify(s.drift),
      JSON.stringify(s.issues),
      s.championVersionId,
      s.allRowsToDate,
    ],
  );
  const existing = await findSnapshotForRun(db, s.workflowId, s.runId);
  if (!existing) throw new Error(`snapshot for run ${s.workflowId}/${s.runId} vanished after insert`);
  return existing;
}

export async function findSnapshotForRun(db: Queryable, workflowId: string, runId: string): Promise<SnapshotRow | null> {
  const { rows } = await db.query<RawSnapshot>('SELECT * FROM dataset_snapshots WHERE workflow_id = $1 AND run_id = $2', [
    workflowId,
    runId,
  ]);
  return rows[0] ? toSnapshot(rows[0]) : null;
}

export async function getSnapshot(db: Queryable, id: number): Promise<SnapshotRow> {
  const { rows } = await db.query<RawSnapshot>('SELECT * FROM dataset_snapshots WHERE id = $1', [id]);
  if (!rows[0]) throw new Error(`dataset snapshot ${id} does not exist`);
  return toSnapshot(rows[0]);
}

/**
 * The newest snapshot whose run reached an outcome: its upper bound is the watermark. A run that
 * wrote a decision and then never finished (failed, cancelled, terminated) releases its data.
 */
export async function lastDecidedSnapshot(db: Queryable, modelId: number): Promise<SnapshotRow | null> {
  const { rows } = await db.query<RawSnapshot>(
    `SELECT s.* FROM dataset_snapshots s
     JOIN decisions d ON d.dataset_snapshot_id = s.id
     WHERE s.model_id = $1 AND d.outcome IS NOT NULL
     ORDER BY s.to_example_id DESC, s.id DESC LIMIT 1`,
    [modelId],
  );
  return rows[0] ? toSnapshot(rows[0]) : null;
}
