/**
 * The monitor's side of the registry: each model's monitor policy (versioned, audited), the
 * evidence it judges (live scores of the production version in a window, the served texts, the
 * version's training profile and offline accuracy), and the events it records.
 */
import type { MonitorPolicy } from '../ml/monitor-policy.ts';
import { liveScores, type LiveScores } from '../ml/live-windows.ts';
import type { DatasetProfile } from '../ml/drift.ts';
import type { Db, Queryable } from './pool.ts';
import { MAX_LOGGED_TEXT_BYTES } from './predictions.ts';
import { appendPolicyVersion, currentPolicyVersion, type StoredPolicyVersion } from './versioned-policies.ts';

export type StoredMonitorPolicy = StoredPolicyVersion<Partial<MonitorPolicy>>;

export const currentMonitorPolicy = (db: Queryable, modelId: number): Promise<StoredMonitorPolicy | null> =>
  currentPolicyVersion(db, 'monitor_policies', modelId);

export const setMonitorPolicy = (
  db: Db,
  modelId: number,
  policy: MonitorPolicy,
  changedBy: string,
  reason: string,
): Promise<StoredMonitorPolicy> => appendPolicyVersion(db, 'monitor_policies', modelId, policy, changedBy, reason);

export interface ProductionFacts {
  versionId: number;
  version: number;
  /** Accuracy from the evaluation that decided its promotion (its own run's held-out rows). */
  offlineAccuracy: number | null;
  /** Profile of the data of the run that trained it (the training window's rows). */
  trainingProfile: DatasetProfile | null;
}

export async function productionFacts(db: Queryable, modelId: number): Promise<ProductionFacts | null> {
  const { rows } = await db.query<{ id: string; version: number; profile: DatasetProfile | null; accuracy: number | null }>(
    `SELECT v.id, v.version, s.profile,
       (SELECT (e.metrics->>'accuracy')::float8 FROM evaluations e
        WHERE e.model_version_id = v.id AND e.dataset_snapshot_id = v.dataset_snapshot_id) AS accuracy
     FROM aliases a
     JOIN model_versions v ON v.id = a.version_id
     LEFT JOIN dataset_snapshots s ON s.id = v.dataset_snapshot_id
     WHERE a.model_id = $1 AND a.alias = 'production'`,
    [modelId],
  );
  const r = rows[0];
  return r ? { versionId: Number(r.id), version: r.version, offlineAccuracy: r.accuracy, trainingProfile: r.profile } : null;
}

/** Live scores of one version over the predictions it made since `since`. */
export async function liveScoresSince(db: Queryable, modelId: number, versionId: number, since: Date): Promise<LiveScores> {
  const { rows } = await db.query<{ label: string; label_true: string | null; n: string }>(
    `SELECT label, label_true, count(*) AS n FROM predictions
     WHERE model_id = $1 AND version_id = $2 AND created_at >= $3 GROUP BY 1, 2`,
    [modelId, versionId, since],
  );
  return liveScores(rows.map((r) => ({ predicted: r.label, actual: r.label_true, count: Number(r.n) })));
}

/**
 * The most recent served texts of a version since `since` (those logged with their text), newest
 * first: at most `limit` rows and `maxBytes` bytes of text (each text read up to
 * MAX_LOGGED_TEXT_BYTES, so rows logged before the cap cannot make one huge read).
 */
export async function servedTexts(
  db: Queryable,
  modelId: number,
  versionId: number,
  since: Date,
  limit: number,
  maxBytes: number,
): Promise<Array<{ text: string; label: string }>> {
  const { rows } = await db.query<{ text: string; label: string }>(
    `SELECT text, label FROM (
       SELECT text, label, sum(octet_length(text)) OVER (ORDER BY created_at DESC, id ROWS UNBOUNDED PRECEDING) AS upto
       FROM (SELECT id, created_at, left(text, $6) AS text, label FROM predictions
             WHERE model_id = $1 AND version_id = $2 AND created_at >= $3 AND text IS NOT NULL
             ORDER BY created_at DESC, id LIMIT $4) recent
     ) s WHERE upto <= $5`,
    [modelId, versionId, since, limit, maxBytes, MAX_LOGGED_TEXT_BYTES],
  );
  return rows;
}

export interface MonitorEventInput {
  modelId: number;
  workflowId: string;
  runId: string;
  version: number | null;
  live: unknown;
  breaches: unknown[];
  trigger: 'decay' | 'drift' | null;
  action: string;
  reason: string;
  retrainWorkflowId: string | null;
}

export interface MonitorEvent extends Omit<MonitorEventInput, 'modelId'> {
  id: number;
  createdAt: string;
}

/** Records one evaluation; a retried activity of the same monitor run records nothing new. */
export async function recordMonitorEvent(db: Queryable, e: MonitorEventInput): Promise<void> {
  await db.query(
    `INSERT INTO monitor_events (model_id, workflow_id, run_id, version, live, breaches, trigger, action, reason, retrain_workflow_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (workflow_id, run_id) DO NOTHING`,
    [
      e.modelId,
      e.workflowId,
      e.runId,
      e.version,
      JSON.stringify(e.live),
      JSON.stringify(e.breaches),
      e.trigger,
      e.action,
      e.reason,
      e.retrainWorkflowId,
    ],
  );
}

export async function listMonitorEvents(db: Queryable, modelId: number, limit: number): Promise<MonitorEvent[]> {
  const { rows } = await db.query<{
    id: string;
    workflow_id: string;
    run_id: string;
    version: number | null;
    live: unknown;
    breaches: unknown[];
    trigger: 'decay' | 'drift' | null;
    action: string;
    reason: string;
    retrain_workflow_id: string | null;
    created_at: Date;
  }>('SELECT * FROM monitor_events WHERE model_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [modelId, limit]);
  return rows.map((r) => ({
    id: Number(r.id),
    workflowId: r.workflow_id,
    runId: r.run_id,
    version: r.version,
    live: r.live,
    breaches: r.breaches,
    trigger: r.trigger,
    action: r.action,
    reason: r.reason,
    retrainWorkflowId: r.retrain_workflow_id,
    createdAt: r.created_at.toISOString(),
  }));
}

/** When the monitor last started a retraining run of the model (for the cooldown). */
export async function lastMonitorStart(db: Queryable, modelId: number): Promise<Date | null> {
  const { rows } = await db.query<{ created_at: Date }>(
    `SELECT created_at FROM monitor_events WHERE model_id = $1 AND action = 'retrain-started' ORDER BY created_at DESC LIMIT 1`,
    [modelId],
  );
  return rows[0]?.created_at ?? null;
}
