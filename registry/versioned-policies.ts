/**
 * Policies kept as versions: every change appends a row naming who changed it and why; the newest
 * row is in force. Promotion policies and monitor policies share this shape.
 */
import { withTransaction, type Db, type Queryable } from './pool.ts';

/** The tables that hold versioned policies. A closed set: table names cannot be SQL parameters. */
export type PolicyTable = 'model_policies' | 'monitor_policies';

export interface StoredPolicyVersion<P> {
  version: number;
  policy: P;
  changedBy: string;
  reason: string;
  createdAt: string;
}

interface RawPolicy<P> {
  version: number;
  policy: P;
  changed_by: string;
  reason: string;
  created_at: Date;
}

const toPolicy = <P>(r: RawPolicy<P>): StoredPolicyVersion<P> => ({
  version: r.version,
  policy: r.policy,
  changedBy: r.changed_by,
  reason: r.reason,
  createdAt: r.created_at.toISOString(),
});

export async function currentPolicyVersion<P>(db: Queryable, table: PolicyTable, modelId: number): Promise<StoredPolicyVersion<P> | null> {
  const { rows } = await db.query<RawPolicy<P>>(`SELECT * FROM ${table} WHERE model_id = $1 ORDER BY version DESC LIMIT 1`, [modelId]);
  return rows[0] ? toPolicy(rows[0]) : null;
}

export async function policyVersions<P>(db: Queryable, table: PolicyTable, modelId: number): Promise<StoredPolicyVersion<P>[]> {
  const { rows } = await db.query<RawPolicy<P>>(`SELECT * FROM ${table} WHERE model_id = $1 ORDER BY version`, [modelId]);
  return rows.map((r) => toPolicy(r));
}

/** Appends the next version; the model row lock serializes concurrent changes. */
export async function appendPolicyVersion<P>(
  db: Db,
  table: PolicyTable,
  modelId: number,
  policy: P,
  changedBy: string,
  reason: string,
): Promise<StoredPolicyVersion<P>> {
  return withTransaction(db, async (client) => {
    await client.query('SELECT id FROM models WHERE id = $1 FOR UPDATE', [modelId]);
    const { rows } = await client.query<RawPolicy<P>>(
      `INSERT INTO ${table} (model_id, version, policy, changed_by, reason)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 FROM ${table} WHERE model_id = $1
       RETURNING *`,
      [modelId, JSON.stringify(policy), changedBy, reason],
    );
    return toPolicy(rows[0]);
  });
}
