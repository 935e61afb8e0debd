/**
 * Each model's promotion policy, versioned and audited: every change appends a row naming who
 * changed it and why; the newest row is in force for scheduled and manual runs alike.
 */
import type { ComparisonPolicy } from '../ml/compare.ts';
import { withTransaction, type Db, type Queryable } from './pool.ts';

export interface StoredPolicy {
  version: number;
  policy: ComparisonPolicy;
  changedBy: string;
  reason: string;
  createdAt: string;
}

interface RawPolicy {
  version: number;
  policy: ComparisonPolicy;
  changed_by: string;
  reason: string;
  created_at: Date;
}

const toPolicy = (r: RawPolicy): StoredPolicy => ({
  version: r.version,
  policy: r.policy,
  changedBy: r.changed_by,
  reason: r.reason,
  createdAt: r.created_at.toISOString(),
});

export async function currentPolicy(db: Queryable, modelId: number): Promise<StoredPolicy | null> {
  const { rows } = await db.query<RawPolicy>('SELECT * FROM model_policies WHERE model_id = $1 ORDER BY version DESC LIMIT 1', [modelId]);
  return rows[0] ? toPolicy(rows[0]) : null;
}

export async function policyHistory(db: Queryable, modelId: number): Promise<StoredPolicy[]> {
  const { rows } = await db.query<RawPolicy>('SELECT * FROM model_policies WHERE model_id = $1 ORDER BY version', [modelId]);
  return rows.map(toPolicy);
}

/** Appends a new version of the model's policy; the model row lock serializes concurrent changes. */
export async function setPolicy(
  db: Db,
  modelId: number,
  policy: ComparisonPolicy,
  changedBy: string,
  reason: string,
): Promise<StoredPolicy> {
  return withTransaction(db, async (client) => {
    await client.query('SELECT id FROM models WHERE id = $1 FOR UPDATE', [modelId]);
    const { rows } = await client.query<RawPolicy>(
      `INSERT INTO model_policies (model_id, version, policy, changed_by, reason)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 FROM model_policies WHERE model_id = $1
       RETURNING *`,
      [modelId, JSON.stringify(policy), changedBy, reason],
    );
    return toPolicy(rows[0]);
  });
}
