/**
 * compareModels runs the pure judge on the stored evaluations (paired per-row correctness
 * included) and keeps the decision record; promoteModel moves the production alias by
 * compare-and-swap in one transaction.
 */
import { compareModels as judge, defaultComparisonPolicy, type DecisionRecord } from '../ml/compare.ts';
import { getSnapshot } from '../registry/datasets.ts';
import type { Db } from '../registry/pool.ts';
import { promote, promoteByHand, saveDecision } from '../registry/promotions.ts';
import { getModel } from '../registry/models.ts';
import { findEvaluation, getVersion, setVersionStatus } from '../registry/versions.ts';
import type { CompareModelsInput, PromoteModelInput, PromotionSummary, RunRef, SetProductionInput, SetProductionResult } from './types.ts';
import { monitored } from './evaluate-model.ts';

async function evidence(db: Db, versionId: number, snapshotId: number) {
  const version = await getVersion(db, versionId);
  const evaluation = await findEvaluation(db, versionId, snapshotId);
  if (!evaluation) throw new Error(`version ${version.version} has no evaluation on snapshot ${snapshotId} yet`);
  return { version: version.version, metrics: { ...monitored(evaluation.metrics) }, correct: evaluation.correct };
}

export async function compareModels(db: Db, run: RunRef, input: CompareModelsInput): Promise<DecisionRecord> {
  const snapshot = await getSnapshot(db, input.snapshotId);
  const candidate = await evidence(db, input.candidateVersionId, input.snapshotId);
  const champion = input.championVersionId === null ? null : await evidence(db, input.championVersionId, input.snapshotId);
  const record = judge(candidate, champion, input.policy ?? defaultComparisonPolicy);
  return saveDecision(db, {
    modelId: snapshot.modelId,
    snapshotId: snapshot.id,
    championVersionId: input.championVersionId,
    candidateVersionId: input.candidateVersionId,
    record,
    workflowId: run.workflowId,
    runId: run.runId,
  });
}

export async function promoteModel(db: Db, run: RunRef, input: PromoteModelInput): Promise<PromotionSummary> {
  const result = await promote(db, {
    modelId: input.modelId,
    toVersionId: input.candidateVersionId,
    expectedFromVersionId: input.championVersionId,
    kind: input.kind ?? 'promote',
    reason: input.reason,
    decision: input.decision,
    actor: input.actor,
    workflowId: run.workflowId,
    runId: run.runId,
  });
  const to = await getVersion(db, input.candidateVersionId);
  if (result.status === 'superseded') {
    const current = result.currentVersionId === null ? null : await getVersion(db, result.currentVersionId);
    return { status: 'superseded', fromVersion: current?.version ?? null, toVersion: to.version, alreadyDone: false };
  }
  const from = result.fromVersionId === null ? null : await getVersion(db, result.fromVersionId);
  return { status: 'promoted', fromVersion: from?.version ?? null, toVersion: to.version, alreadyDone: result.alreadyDone };
}

export async function markCandidateRejected(db: Db, input: { versionId: number }): Promise<void> {
  const version = await getVersion(db, input.versionId);
  if (version.status === 'candidate') await setVersionStatus(db, input.versionId, 'rejected');
}

export async function setProductionVersion(db: Db, run: RunRef, input: SetProductionInput): Promise<SetProductionResult> {
  const model = await getModel(db, input.model);
  const r = await promoteByHand(db, {
    modelId: model.id,
    version: input.version ?? null,
    kind: input.kind,
    reason: input.reason,
    actor: input.actor,
    workflowId: run.workflowId,
    runId: run.runId,
  });
  const from = r.fromVersionId === null ? null : await getVersion(db, r.fromVersionId);
  const to = await getVersion(db, r.toVersionId);
  return { model: model.name, kind: input.kind, fromVersion: from?.version ?? null, toVersion: to.version, alreadyDone: r.alreadyDone };
}
