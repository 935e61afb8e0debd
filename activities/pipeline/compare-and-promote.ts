/**
 * compareModels runs the pure judge on the stored evaluations (paired per-row correctness
 * included, the model files' hashes, the new data's drift) under the run's policy, else the
 * model's stored policy, else the default, and keeps the decision record; promoteModel moves the
 * production alias by compare-and-swap in one transaction. Each records the run's outcome with its
 * decision, which closes the run's data window.
 */
import { compareModels as judge, defaultComparisonPolicy, type DecisionRecord } from '../../ml/compare.ts';
import { driftNumbers } from '../../ml/drift.ts';
import { getSnapshot } from '../../registry/datasets.ts';
import type { Db } from '../../registry/pool.ts';
import { promote, promoteByHand, saveDecision } from '../../registry/promotions.ts';
import { currentPolicy } from '../../registry/policies.ts';
import { setDecisionOutcome, settleRunCandidate } from '../../registry/run-outcomes.ts';
import { getModel } from '../../registry/models.ts';
import { findEvaluation, getVersion, setVersionStatus } from '../../registry/versions.ts';
import type { CompareModelsInput, PromoteModelInput, PromotionSummary, RunRef, SetProductionInput, SetProductionResult } from './types.ts';
import { monitored } from './evaluate-model.ts';

async function evidence(db: Db, versionId: number, snapshotId: number) {
  const version = await getVersion(db, versionId);
  const evaluation = await findEvaluation(db, versionId, snapshotId);
  if (!evaluation) throw new Error(`version ${version.version} has no evaluation on snapshot ${snapshotId} yet`);
  return { version: version.version, metrics: { ...monitored(evaluation.metrics) }, correct: evaluation.correct, sha256: version.sha256 };
}

export async function compareModels(db: Db, run: RunRef, input: CompareModelsInput): Promise<DecisionRecord> {
  const snapshot = await getSnapshot(db, input.snapshotId);
  const candidate = await evidence(db, input.candidateVersionId, input.snapshotId);
  const champion = input.championVersionId === null ? null : await evidence(db, input.championVersionId, input.snapshotId);
  const stored = input.policy ? null : await currentPolicy(db, snapshot.modelId);
  const policy = input.policy ?? stored?.policy ?? defaultComparisonPolicy;
  const policySource = input.policy ? 'the run' : stored ? `the model's policy v${stored.version}` : 'the default policy';
  const drift = snapshot.drift ? driftNumbers(snapshot.drift) : null;
  const record = { ...judge(candidate, champion, policy, { drift }), policySource };
  const saved = await saveDecision(db, {
    modelId: snapshot.modelId,
    snapshotId: snapshot.id,
    championVersionId: input.championVersionId,
    candidateVersionId: input.candidateVersionId,
    record,
    workflowId: run.workflowId,
    runId: run.runId,
  });
  if (saved.decision === 'REJECT') await setDecisionOutcome(db, run.workflowId, run.runId, 'REJECTED');
  return saved;
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
  await setDecisionOutcome(db, run.workflowId, run.runId, result.status === 'superseded' ? 'SUPERSEDED' : 'PROMOTED');
  if (result.status === 'superseded') await settleRunCandidate(db, run.workflowId, run.runId, 'superseded');
  const to = await getVersion(db, input.candidateVersionId);
  if (result.status === 'superseded') {
    const current = result.currentVersionId === null ? null : await getVersion(db, result.currentVersionId);
    return { status: 'superseded', fromVersion: current?.version ?? null, toVersion: to.version, alreadyDone: false };
  }
  const from = result.fromVersionId === null ? null : await getVersion(db, result.fromVersionId);
  return { status: 'promoted', fromVersion: from?.version ?? null, toVersion: to.version, alreadyDone: result.alreadyDone };
}

export async function markCandidateRejected(db: Db, run: RunRef, input: { versionId: number }): Promise<void> {
  const version = await getVersion(db, input.versionId);
  if (version.status === 'candidate') await setVersionStatus(db, input.versionId, 'rejected');
  await setDecisionOutcome(db, run.workflowId, run.runId, 'NOT_APPROVED');
}

/**
 * A run that was cancelled or failed after training: its candidate (if any) is marked abandoned;
 * no outcome is recorded, so its data goes to the next run.
 */
export async function abandonRun(db: Db, run: RunRef): Promise<{ abandonedVersion: number | null }> {
  return { abandonedVersion: await settleRunCandidate(db, run.workflowId, run.runId, 'abandoned') };
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
