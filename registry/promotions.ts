/**
 * The production alias, decisions and the append-only promotion history. The alias moves only by
 * compare-and-swap inside one transaction that also archives the old version and appends the
 * history row, so a model never has zero or two production versions once it has one, and a
 * retried promotion of the same run is a no-op.
 */
import type { DecisionRecord } from '../ml/compare.ts';
import type { Queryable } from './pool.ts';
import { withTransaction, type Db } from './pool.ts';
import { RegistryError } from './errors.ts';

export const PRODUCTION = 'production';
/** The PostgreSQL NOTIFY channel a promotion signals on; model servers LISTEN to it. */
export const PRODUCTION_CHANNEL = 'nightshift_production';

export async function productionVersionId(db: Queryable, modelId: number): Promise<number | null> {
  const { rows } = await db.query<{ version_id: string }>('SELECT version_id FROM aliases WHERE model_id = $1 AND alias = $2', [
    modelId,
    PRODUCTION,
  ]);
  return rows[0] ? Number(rows[0].version_id) : null;
}

export interface DecisionInput {
  modelId: number;
  snapshotId: number;
  championVersionId: number | null;
  candidateVersionId: number;
  record: DecisionRecord;
  workflowId: string;
  runId: string;
}

/** Stores the run's decision once; marks a rejected candidate. Returns the stored record. */
export async function saveDecision(pool: Db, d: DecisionInput): Promise<DecisionRecord> {
  return withTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO decisions (model_id, dataset_snapshot_id, champion_version_id, candidate_version_id, decision, record, workflow_id, run_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (workflow_id, run_id) DO NOTHING`,
      [
        d.modelId,
        d.snapshotId,
        d.championVersionId,
        d.candidateVersionId,
        d.record.decision,
        JSON.stringify(d.record),
        d.workflowId,
        d.runId,
      ],
    );
    if (d.record.decision === 'REJECT') {
      await client.query(`UPDATE model_versions SET status = 'rejected' WHERE id = $1 AND status = 'candidate'`, [d.candidateVersionId]);
    }
    const { rows } = await client.query<{ record: DecisionRecord }>('SELECT record FROM decisions WHERE workflow_id = $1 AND run_id = $2', [
      d.workflowId,
      d.runId,
    ]);
    return rows[0].record;
  });
}

export interface PromotionInput {
  modelId: number;
  toVersionId: number;
  /** The production version the decision was made against (null: the model had none). */
  expectedFromVersionId: number | null;
  kind: 'promote' | 'rollback' | 'override';
  reason: string;
  decision: DecisionRecord | null;
  actor: string;
  workflowId: string;
  runId: string;
}

export type PromotionResult =
  | { status: 'promoted'; eventId: number; fromVersionId: number | null; alreadyDone: boolean }
  | { status: 'superseded'; currentVersionId: number | null };

export async function promote(pool: Db, p: PromotionInput): Promise<PromotionResult> {
  return withTransaction(pool, (client) => promoteLocked(client, p));
}

/** The body of a promotion, inside the caller's transaction. */
async function promoteLocked(client: Queryable, p: PromotionInput): Promise<PromotionResult> {
  // One promotion per model at a time: the model row is the lock.
  await client.query('SELECT id FROM models WHERE id = $1 FOR UPDATE', [p.modelId]);
  const done = await client.query<{ id: string; from_version_id: string | null }>(
    'SELECT id, from_version_id FROM promotion_events WHERE workflow_id = $1 AND run_id = $2',
    [p.workflowId, p.runId],
  );
  if (done.rows[0]) {
    const from = done.rows[0].from_version_id;
    return { status: 'promoted', eventId: Number(done.rows[0].id), fromVersionId: from === null ? null : Number(from), alreadyDone: true };
  }
  const current = await productionVersionId(client, p.modelId);
  if (current !== p.expectedFromVersionId) {
    return { status: 'superseded', currentVersionId: current };
  }
  // Never promote bytes that no longer match their recorded checksum.
  const check = await client.query<{ version: number; intact: boolean }>(
    `SELECT version, encode(sha256(weights), 'hex') = sha256 AS intact FROM model_versions WHERE id = $1 AND model_id = $2`,
    [p.toVersionId, p.modelId],
  );
  if (!check.rows[0]) throw new RegistryError('UnknownVersion', `model version id ${p.toVersionId} does not belong to this model`);
  if (!check.rows[0].intact) {
    throw new RegistryError(
      'ModelCorrupted',
      `version ${check.rows[0].version} failed its sha256 checksum: its stored bytes are corrupted; not promoted`,
    );
  }
  await client.query(
    `INSERT INTO aliases (model_id, alias, version_id) VALUES ($1, $2, $3)
     ON CONFLICT (model_id, alias) DO UPDATE SET version_id = $3, updated_at = now()`,
    [p.modelId, PRODUCTION, p.toVersionId],
  );
  if (current !== null && current !== p.toVersionId) {
    await client.query(`UPDATE model_versions SET status = 'archived' WHERE id = $1`, [current]);
  }
  await client.query(`UPDATE model_versions SET status = 'production' WHERE id = $1`, [p.toVersionId]);
  // Delivered at COMMIT only (and not at all on rollback), so a model server never loads a
  // version whose promotion did not happen. promote and promoteByHand both pass here.
  await client.query(`SELECT pg_notify($1, json_build_object('modelId', $2::bigint, 'versionId', $3::bigint)::text)`, [
    PRODUCTION_CHANNEL,
    p.modelId,
    p.toVersionId,
  ]);
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO promotion_events (model_id, from_version_id, to_version_id, kind, reason, decision, actor, workflow_id, run_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [
      p.modelId,
      current,
      p.toVersionId,
      p.kind,
      p.reason,
      p.decision === null ? null : JSON.stringify(p.decision),
      p.actor,
      p.workflowId,
      p.runId,
    ],
  );
  return { status: 'promoted', eventId: Number(rows[0].id), fromVersionId: current, alreadyDone: false };
}

export interface ManualPromotionInput {
  modelId: number;
  /** The version number to make production; null for a rollback to the previous production version. */
  version: number | null;
  kind: 'override' | 'rollback';
  reason: string;
  actor: string;
  workflowId: string;
  runId: string;
}

/**
 * An audited manual promotion or rollback: resolves the target and the current production version
 * and moves the alias in one transaction (so it cannot race a run's promotion).
 */
export async function promoteByHand(
  pool: Db,
  p: ManualPromotionInput,
): Promise<{ fromVersionId: number | null; toVersionId: number; alreadyDone: boolean }> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT id FROM models WHERE id = $1 FOR UPDATE', [p.modelId]);
    const done = await client.query<{ from_version_id: string | null; to_version_id: string }>(
      'SELECT from_version_id, to_version_id FROM promotion_events WHERE workflow_id = $1 AND run_id = $2',
      [p.workflowId, p.runId],
    );
    if (done.rows[0]) {
      const from = done.rows[0].from_version_id;
      return { fromVersionId: from === null ? null : Number(from), toVersionId: Number(done.rows[0].to_version_id), alreadyDone: true };
    }
    const current = await productionVersionId(client, p.modelId);
    let target: number;
    if (p.version !== null) {
      const { rows } = await client.query<{ id: string }>('SELECT id FROM model_versions WHERE model_id = $1 AND version = $2', [
        p.modelId,
        p.version,
      ]);
      if (!rows[0]) throw new RegistryError('UnknownVersion', `model has no version ${p.version}`);
      target = Number(rows[0].id);
    } else {
      const { rows } = await client.query<{ from_version_id: string | null }>(
        'SELECT from_version_id FROM promotion_events WHERE model_id = $1 AND to_version_id = $2 ORDER BY id DESC LIMIT 1',
        [p.modelId, current],
      );
      if (current === null || !rows[0] || rows[0].from_version_id === null) {
        throw new RegistryError('NoPreviousVersion', 'there is no previous production version to roll back to; name one with --to');
      }
      target = Number(rows[0].from_version_id);
    }
    const result = await promoteLocked(client, {
      modelId: p.modelId,
      toVersionId: target,
      expectedFromVersionId: current,
      kind: p.kind,
      reason: p.reason,
      decision: null,
      actor: p.actor,
      workflowId: p.workflowId,
      runId: p.runId,
    });
    if (result.status !== 'promoted') throw new Error('production changed inside a locked transaction');
    return { fromVersionId: current, toVersionId: target, alreadyDone: false };
  });
}

export interface PromotionEvent {
  id: number;
  fromVersion: number | null;
  toVersion: number;
  kind: string;
  reason: string;
  actor: string;
  workflowId: string;
  createdAt: string;
}

export async function listPromotionEvents(db: Queryable, modelId: number): Promise<PromotionEvent[]> {
  const { rows } = await db.query<{
    id: string;
    from_version: number | null;
    to_version: number;
    kind: string;
    reason: string;
    actor: string;
    workflow_id: string;
    created_at: Date;
  }>(
    `SELECT e.id, f.version AS from_version, t.version AS to_version, e.kind, e.reason, e.actor, e.workflow_id, e.created_at
     FROM promotion_events e
     LEFT JOIN model_versions f ON f.id = e.from_version_id
     JOIN model_versions t ON t.id = e.to_version_id
     WHERE e.model_id = $1 ORDER BY e.id`,
    [modelId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    fromVersion: r.from_version,
    toVersion: r.to_version,
    kind: r.kind,
    reason: r.reason,
    actor: r.actor,
    workflowId: r.workflow_id,
    createdAt: r.created_at.toISOString(),
  }));
}
