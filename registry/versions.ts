/** Model versions, their evaluations, and training checkpoints. */
import type { ClassificationMetrics } from '../ml/metrics.ts';
import { decodeModel } from '../ml/model-file.ts';
import type { LinearModel } from '../ml/softmax-regression.ts';
import type { Queryable } from './pool.ts';
import { withTransaction, type Db } from './pool.ts';
import { RegistryError } from './errors.ts';

export type VersionStatus = 'candidate' | 'production' | 'archived' | 'rejected' | 'superseded' | 'abandoned';

export interface VersionSummary {
  id: number;
  modelId: number;
  version: number;
  status: VersionStatus;
  formatVersion: number;
  sha256: string;
  sizeBytes: number;
  labels: string[];
  hyperparameters: Record<string, unknown>;
  training: Record<string, unknown>;
  datasetSnapshotId: number | null;
  workflowId: string;
  runId: string;
  createdAt: string;
}

interface RawVersion {
  id: string;
  model_id: string;
  version: number;
  status: VersionStatus;
  format_version: number;
  sha256: string;
  size_bytes: number;
  labels: string[];
  hyperparameters: Record<string, unknown>;
  training: Record<string, unknown>;
  dataset_snapshot_id: string | null;
  workflow_id: string;
  run_id: string;
  created_at: Date;
}

const SUMMARY_COLUMNS = `id, model_id, version, status, format_version, sha256, octet_length(weights) AS size_bytes, labels,
  hyperparameters, training, dataset_snapshot_id, workflow_id, run_id, created_at`;

const toSummary = (r: RawVersion): VersionSummary => ({
  id: Number(r.id),
  modelId: Number(r.model_id),
  version: r.version,
  status: r.status,
  formatVersion: r.format_version,
  sha256: r.sha256,
  sizeBytes: r.size_bytes,
  labels: r.labels,
  hyperparameters: r.hyperparameters,
  training: r.training,
  datasetSnapshotId: r.dataset_snapshot_id === null ? null : Number(r.dataset_snapshot_id),
  workflowId: r.workflow_id,
  runId: r.run_id,
  createdAt: r.created_at.toISOString(),
});

export interface NewVersion {
  modelId: number;
  formatVersion: number;
  weights: Buffer;
  sha256: string;
  labels: string[];
  hyperparameters: Record<string, unknown>;
  training: Record<string, unknown>;
  datasetSnapshotId: number | null;
  workflowId: string;
  runId: string;
}

/**
 * Writes a candidate version with the next version number, once per run: a retried attempt of the
 * same run gets the version the first attempt wrote.
 */
export async function createCandidateVersion(pool: Db, v: NewVersion): Promise<VersionSummary> {
  return withTransaction(pool, async (client) => {
    // Serializes version numbering per model.
    await client.query('SELECT id FROM models WHERE id = $1 FOR UPDATE', [v.modelId]);
    const existing = await findVersionForRun(client, v.workflowId, v.runId);
    if (existing) return existing;
    const { rows } = await client.query<RawVersion>(
      `INSERT INTO model_versions (model_id, version, status, format_version, weights, sha256, labels, hyperparameters,
         training, dataset_snapshot_id, workflow_id, run_id)
       VALUES ($1, (SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE model_id = $1), 'candidate',
         $2, $3, $4, $5, $6, $7, $8, $9, $10)
       RETURNING ${SUMMARY_COLUMNS}`,
      [
        v.modelId,
        v.formatVersion,
        v.weights,
        v.sha256,
        v.labels,
        JSON.stringify(v.hyperparameters),
        JSON.stringify(v.training),
        v.datasetSnapshotId,
        v.workflowId,
        v.runId,
      ],
    );
    return toSummary(rows[0]);
  });
}

export async function findVersionForRun(db: Queryable, workflowId: string, runId: string): Promise<VersionSummary | null> {
  const { rows } = await db.query<RawVersion>(`SELECT ${SUMMARY_COLUMNS} FROM model_versions WHERE workflow_id = $1 AND run_id = $2`, [
    workflowId,
    runId,
  ]);
  return rows[0] ? toSummary(rows[0]) : null;
}

export async function getVersion(db: Queryable, id: number): Promise<VersionSummary> {
  const { rows } = await db.query<RawVersion>(`SELECT ${SUMMARY_COLUMNS} FROM model_versions WHERE id = $1`, [id]);
  if (!rows[0]) throw new RegistryError('UnknownVersion', `model version id ${id} does not exist`);
  return toSummary(rows[0]);
}

export async function getVersionByNumber(db: Queryable, modelId: number, version: number): Promise<VersionSummary> {
  const { rows } = await db.query<RawVersion>(`SELECT ${SUMMARY_COLUMNS} FROM model_versions WHERE model_id = $1 AND version = $2`, [
    modelId,
    version,
  ]);
  if (!rows[0]) throw new RegistryError('UnknownVersion', `model has no version ${version}`);
  return toSummary(rows[0]);
}

export async function listVersions(db: Queryable, modelId: number): Promise<VersionSummary[]> {
  const { rows } = await db.query<RawVersion>(`SELECT ${SUMMARY_COLUMNS} FROM model_versions WHERE model_id = $1 ORDER BY version`, [
    modelId,
  ]);
  return rows.map(toSummary);
}

export async function loadWeights(db: Queryable, id: number): Promise<{ bytes: Buffer; sha256: string; version: number }> {
  const { rows } = await db.query<{ weights: Buffer; sha256: string; version: number }>(
    'SELECT weights, sha256, version FROM model_versions WHERE id = $1',
    [id],
  );
  if (!rows[0]) throw new RegistryError('UnknownVersion', `model version id ${id} does not exist`);
  return { bytes: rows[0].weights, sha256: rows[0].sha256, version: rows[0].version };
}

export async function setVersionStatus(db: Queryable, id: number, status: VersionStatus): Promise<void> {
  await db.query('UPDATE model_versions SET status = $2 WHERE id = $1', [id, status]);
}

export interface StoredEvaluation {
  metrics: ClassificationMetrics;
  correct: boolean[];
}

export async function saveEvaluation(db: Queryable, versionId: number, snapshotId: number, e: StoredEvaluation): Promise<void> {
  await db.query(
    `INSERT INTO evaluations (model_version_id, dataset_snapshot_id, metrics, correct) VALUES ($1, $2, $3, $4)
     ON CONFLICT (model_version_id, dataset_snapshot_id) DO NOTHING`,
    [versionId, snapshotId, JSON.stringify(e.metrics), e.correct],
  );
}

export async function findEvaluation(db: Queryable, versionId: number, snapshotId: number): Promise<StoredEvaluation | null> {
  const { rows } = await db.query<{ metrics: ClassificationMetrics; correct: boolean[] }>(
    'SELECT metrics, correct FROM evaluations WHERE model_version_id = $1 AND dataset_snapshot_id = $2',
    [versionId, snapshotId],
  );
  return rows[0] ?? null;
}

/** The newest evaluation of each version (for `models show`). */
export async function latestEvaluations(db: Queryable, modelId: number): Promise<Map<number, ClassificationMetrics>> {
  const { rows } = await db.query<{ model_version_id: string; metrics: ClassificationMetrics }>(
    `SELECT DISTINCT ON (e.model_version_id) e.model_version_id, e.metrics
     FROM evaluations e JOIN model_versions v ON v.id = e.model_version_id
     WHERE v.model_id = $1 ORDER BY e.model_version_id, e.id DESC`,
    [modelId],
  );
  return new Map(rows.map((r) => [Number(r.model_version_id), r.metrics]));
}

/** Checkpoint writes between two vacuums of the table: bounds the dead checkpoints at this many. */
const CHECKPOINTS_PER_VACUUM = 5;
let checkpointsSinceVacuum = 0;

/**
 * Reclaims the space of rewritten and deleted checkpoints (a checkpoint row is rewritten in place
 * every epoch, and each rewrite leaves the old state dead until a vacuum). Best effort: a role
 * that may not vacuum gets a warning from PostgreSQL, not an error.
 */
async function vacuumCheckpoints(db: Db): Promise<void> {
  checkpointsSinceVacuum = 0;
  await db.query('VACUUM training_checkpoints').catch(() => undefined);
}

/** One row per run, updated in place every epoch (the attempt that wrote it is recorded). */
export async function saveCheckpoint(
  db: Db,
  workflowId: string,
  runId: string,
  attempt: number,
  epoch: number,
  state: Buffer,
): Promise<void> {
  await db.query(
    `INSERT INTO training_checkpoints (workflow_id, run_id, attempt, epoch, state) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (workflow_id, run_id) DO UPDATE SET attempt = $3, epoch = $4, state = $5, updated_at = now()`,
    [workflowId, runId, attempt, epoch, state],
  );
  if (++checkpointsSinceVacuum >= CHECKPOINTS_PER_VACUUM) await vacuumCheckpoints(db);
}

export async function loadCheckpoint(db: Queryable, workflowId: string, runId: string): Promise<{ epoch: number; state: Buffer } | null> {
  const { rows } = await db.query<{ epoch: number; state: Buffer }>(
    'SELECT epoch, state FROM training_checkpoints WHERE workflow_id = $1 AND run_id = $2',
    [workflowId, runId],
  );
  return rows[0] ?? null;
}

export async function deleteCheckpoint(db: Db, workflowId: string, runId: string): Promise<void> {
  await db.query('DELETE FROM training_checkpoints WHERE workflow_id = $1 AND run_id = $2', [workflowId, runId]);
  // With the table empty, a vacuum also gives its pages back to the file system.
  await vacuumCheckpoints(db);
}

/** A version's model, decoded from its stored weights after checking them against its sha256. */
export async function loadModelVersion(db: Queryable, versionId: number): Promise<LinearModel> {
  const { bytes, sha256, version } = await loadWeights(db, versionId);
  return decodeModel(bytes, `model version ${version} (id ${versionId})`, sha256);
}
