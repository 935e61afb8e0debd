/**
 * Each model's promotion policy, versioned and audited: every change appends a row naming who
 * changed it and why; the newest row is in force for scheduled and manual runs alike.
 */
import type { ComparisonPolicy } from '../ml/compare.ts';
import type { Db, Queryable } from './pool.ts';
import { appendPolicyVersion, currentPolicyVersion, policyVersions, type StoredPolicyVersion } from './versioned-policies.ts';

export type StoredPolicy = StoredPolicyVersion<ComparisonPolicy>;

export const currentPolicy = (db: Queryable, modelId: number): Promise<StoredPolicy | null> =>
  currentPolicyVersion(db, 'model_policies', modelId);

export const policyHistory = (db: Queryable, modelId: number): Promise<StoredPolicy[]> => policyVersions(db, 'model_policies', modelId);

export const setPolicy = (db: Db, modelId: number, policy: ComparisonPolicy, changedBy: string, reason: string): Promise<StoredPolicy> =>
  appendPolicyVersion(db, 'model_policies', modelId, policy, changedBy, reason);
