/**
 * fetchNewData: selects the model's examples that arrived after the watermark and by the window
 * end, checks them, and writes the run's dataset snapshot. Returns only ids, counts and stats.
 */
import { createHash } from 'node:crypto';
import { compareProfiles, driftNumbers, ProfileBuilder } from '../../ml/drift.ts';
import { MIN_TRAINING_EXAMPLES } from '../../ml/labelled-data.ts';
import { lastDecidedSnapshot, findSnapshotForRun, saveSnapshot, type SnapshotRow } from '../../registry/datasets.ts';
import { examplePages, maxExampleId, trainingLabelCounts } from '../../registry/examples.ts';
import { getModel } from '../../registry/models.ts';
import { productionVersionId } from '../../registry/promotions.ts';
import { getVersion } from '../../registry/versions.ts';
import { currentPolicy } from '../../registry/policies.ts';
import { defaultComparisonPolicy, minEvaluationRowsOf } from '../../ml/compare.ts';
import type { Db } from '../../registry/pool.ts';
import type { FetchNewDataInput, RunRef, SnapshotSummary } from './types.ts';

async function summarize(db: Db, s: SnapshotRow): Promise<SnapshotSummary> {
  const champion = s.championVersionId === null ? null : await getVersion(db, s.championVersionId);
  return {
    snapshotId: s.id,
    modelId: s.modelId,
    status: s.status,
    newRows: s.newRows,
    windowRows: Object.values(s.labelCounts).reduce((sum, n) => sum + n, 0),
    allRowsToDate: s.allRowsToDate,
    trainRows: s.trainRows,
    evalRows: s.evalRows,
    labelCounts: s.labelCounts,
    contentHash: s.contentHash,
    issues: s.issues,
    // Length summaries stay in the registry; the payload carries the drift numbers.
    drift: s.drift ? driftNumbers(s.drift) : null,
    championVersionId: s.championVersionId,
    championVersion: champion?.version ?? null,
  };
}

/** One pass over a window in pages: content hash, profile (label counts included) and held-out rows; never all texts at once. */
async function scanWindow(db: Db, modelId: number, afterId: number, toId: number) {
  const hash = createHash('sha256');
  const profiler = new ProfileBuilder();
  let evalRows = 0;
  for await (const page of examplePages(db, { modelId, afterId, toId })) {
    for (const r of page) {
      if (r.split === 'test') evalRows++;
      hash.update(`${r.id}\u0000${r.label}\u0000${r.text}\u0000`);
      profiler.add(r);
    }
  }
  return { contentHash: hash.digest('hex'), profile: profiler.build(), evalRows };
}

/** The evaluation rows the model's policy in force needs (the run's own --policy is judged later, by compareModels). */
async function minRowsInForce(db: Db, modelId: number): Promise<number> {
  const stored = await currentPolicy(db, modelId);
  return minEvaluationRowsOf(stored?.policy ?? defaultComparisonPolicy);
}

export async function fetchNewData(db: Db, run: RunRef, input: FetchNewDataInput): Promise<SnapshotSummary> {
  const model = await getModel(db, input.model);
  const existing = await findSnapshotForRun(db, run.workflowId, run.runId);
  if (existing) return summarize(db, existing);

  const championVersionId = await productionVersionId(db, model.id);
  const last = await lastDecidedSnapshot(db, model.id);
  const watermark = last?.toExampleId ?? 0;
  const toId = Math.max(watermark, await maxExampleId(db, model.id, input.windowEnd));
  const trainCounts = await trainingLabelCounts(db, model.id, toId);
  const trainRows = Object.values(trainCounts).reduce((s, n) => s + n, 0);

  let window = await scanWindow(db, model.id, watermark, toId);
  const newRows = window.profile.rows;
  let afterId = watermark;
  // Forced with too little new held-out data to decide on (none at all, or fewer rows than the
  // policy in force needs): evaluate over all data to date, as `retrain --force` promises.
  if (input.force && watermark > 0 && toId > 0 && window.evalRows < (await minRowsInForce(db, model.id))) {
    afterId = 0;
    window = await scanWindow(db, model.id, afterId, toId);
  }
  const allRowsToDate = afterId !== watermark;
  const { profile, evalRows } = window;
  const { labelCounts, rows: windowRows } = profile;

  const issues: string[] = [];
  if (windowRows > 0) {
    if (model.labels) {
      const unknown = Object.keys(labelCounts).filter((l) => !model.labels!.includes(l));
      if (unknown.length) issues.push(`labels not declared for model ${model.name}: ${unknown.map((l) => JSON.stringify(l)).join(', ')}`);
    }
    if (Object.keys(trainCounts).length < 2) {
      issues.push(`training data has ${Object.keys(trainCounts).length} distinct label(s); at least 2 are needed`);
    }
    if (trainRows < MIN_TRAINING_EXAMPLES) issues.push(`training data has ${trainRows} rows; at least ${MIN_TRAINING_EXAMPLES} are needed`);
    if (evalRows === 0) issues.push(`the ${windowRows} new rows contain no held-out (test split) row to evaluate on`);
  }

  const drift = last ? compareProfiles(last.profile, profile) : null;

  const snapshot = await saveSnapshot(db, {
    modelId: model.id,
    workflowId: run.workflowId,
    runId: run.runId,
    status: windowRows === 0 ? 'empty' : issues.length ? 'invalid' : 'valid',
    championVersionId,
    afterExampleId: afterId,
    toExampleId: toId,
    windowEnd: input.windowEnd,
    newRows,
    allRowsToDate,
    trainRows,
    evalRows,
    labelCounts,
    contentHash: window.contentHash,
    profile,
    drift,
    issues,
  });
  return summarize(db, snapshot);
}
