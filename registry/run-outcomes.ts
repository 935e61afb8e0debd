/**
 * A run's outcome, kept with its decision: it closes the run's data window (see
 * lastDecidedSnapshot) and settles the candidate's status. Each write is idempotent, so a retried
 * activity repeats it harmlessly.
 */
import type { DecisionRecord } from '../ml/compare.ts';
import type { Queryable } from './pool.ts';

export type DecidedOutcome = 'PROMOTED' | 'REJECTED' | 'NOT_APPROVED' | 'SUPERSEDED';

export async function setDecisionOutcome(db: Queryable, workflowId: string, runId: string, outcome: DecidedOutcome): Promise<void> {
  await db.query('UPDATE decisions SET outcome = $3 WHERE workflow_id = $1 AND run_id = $2 AND outcome IS DISTINCT FROM $3', [
    workflowId,
    runId,
    outcome,
  ]);
}

/**
 * Marks the candidate a run wrote, if it is still a candidate: 'superseded' (production moved while
 * the run decided) or 'abandoned' (the run was cancelled or failed after training).
 */
export async function settleRunCandidate(
  db: Queryable,
  workflowId: string,
  runId: string,
  status: 'superseded' | 'abandoned',
): Promise<number | null> {
  const { rows } = await db.query<{ version: number }>(
    `UPDATE model_versions SET status = $3 WHERE workflow_id = $1 AND run_id = $2 AND status = 'candidate' RETURNING version`,
    [workflowId, runId, status],
  );
  return rows[0]?.version ?? null;
}

export interface VersionDecision {
  candidateVersionId: number;
  snapshotId: number;
  workflowId: string;
  outcome: DecidedOutcome | null;
  record: DecisionRecord;
}

/** Each version's own decision: its metrics beside the champion's, measured on the same rows. */
export async function decisionsByCandidate(db: Queryable, modelId: number): Promise<Map<number, VersionDecision>> {
  const { rows } = await db.query<{
    candidate_version_id: string;
    dataset_snapshot_id: string;
    workflow_id: string;
    outcome: DecidedOutcome | null;
    record: DecisionRecord;
  }>(
    `SELECT DISTINCT ON (candidate_version_id) candidate_version_id, dataset_snapshot_id, workflow_id, outcome, record
     FROM decisions WHERE model_id = $1 ORDER BY candidate_version_id, id DESC`,
    [modelId],
  );
  return new Map(
    rows.map((r) => [
      Number(r.candidate_version_id),
      {
        candidateVersionId: Number(r.candidate_version_id),
        snapshotId: Number(r.dataset_snapshot_id),
        workflowId: r.workflow_id,
        outcome: r.outcome,
        record: r.record,
      },
    ]),
  );
}
