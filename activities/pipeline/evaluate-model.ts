/**
 * evaluateModel: a stored version's metrics on the snapshot's held-out rows, read in pages. The full metrics and
 * the per-row correctness (McNemar's paired evidence) stay in the registry; the payload carries
 * the monitored metrics only.
 */
import { EvaluationAccumulator } from '../../ml/classifier.ts';
import type { ClassificationMetrics } from '../../ml/metrics.ts';
import { getSnapshot } from '../../registry/datasets.ts';
import { examplePages } from '../../registry/examples.ts';
import type { Db } from '../../registry/pool.ts';
import { findEvaluation, getVersion, loadModelVersion, saveEvaluation } from '../../registry/versions.ts';
import type { EvaluateModelInput, EvaluationSummary, MonitoredMetrics } from './types.ts';

export function monitored(m: ClassificationMetrics): MonitoredMetrics {
  return {
    examples: m.examples,
    accuracy: m.accuracy,
    precision: m.precision,
    recall: m.recall,
    f1: m.f1,
    ...(m.logLoss !== undefined ? { logLoss: m.logLoss } : {}),
    ...(m.rocAuc !== undefined ? { rocAuc: m.rocAuc } : {}),
  };
}

export async function evaluateModel(db: Db, input: EvaluateModelInput): Promise<EvaluationSummary> {
  const version = await getVersion(db, input.versionId);
  const stored = await findEvaluation(db, input.versionId, input.snapshotId);
  if (stored) return { versionId: version.id, version: version.version, metrics: monitored(stored.metrics) };

  const snapshot = await getSnapshot(db, input.snapshotId);
  const model = await loadModelVersion(db, input.versionId);
  const evaluation = new EvaluationAccumulator(model, { allowUnknownLabels: true });
  const window = { modelId: snapshot.modelId, afterId: snapshot.afterExampleId, toId: snapshot.toExampleId, split: 'test' as const };
  for await (const page of examplePages(db, window)) evaluation.add(page);
  const { metrics, correct } = evaluation.finish();
  await saveEvaluation(db, input.versionId, input.snapshotId, { metrics, correct });
  return { versionId: version.id, version: version.version, metrics: monitored(metrics) };
}
