/**
 * Serving test helpers: a trained version written to the registry and promoted through the real
 * promotion transaction (the one that NOTIFYs), without a workflow run around it.
 */
import { randomBytes } from 'node:crypto';
import { fitClassifier } from '../../ml/classifier.ts';
import { encodeModel } from '../../ml/model-file.ts';
import { ensureModel } from '../../registry/models.ts';
import type { Db } from '../../registry/pool.ts';
import { productionVersionId, promote } from '../../registry/promotions.ts';
import { createCandidateVersion } from '../../registry/versions.ts';

export interface TrainedVersion {
  modelId: number;
  versionId: number;
  version: number;
}

export async function trainVersion(
  db: Db,
  model: string,
  rows: Array<{ text: string; label: string }>,
  options: { epochs?: number; seed?: number; buckets?: number } = {},
): Promise<TrainedVersion> {
  const m = await ensureModel(db, model);
  const fit = await fitClassifier(rows, {
    featurizer: { buckets: options.buckets ?? 4096 },
    train: { epochs: options.epochs ?? 5, seed: options.seed ?? 1 },
  });
  const encoded = encodeModel(fit.model);
  const run = randomBytes(6).toString('hex');
  const v = await createCandidateVersion(db, {
    modelId: m.id,
    formatVersion: encoded.formatVersion,
    weights: encoded.bytes,
    sha256: encoded.sha256,
    labels: fit.model.labels,
    hyperparameters: {},
    training: {},
    datasetSnapshotId: null,
    workflowId: `test-train-${run}`,
    runId: run,
  });
  return { modelId: m.id, versionId: v.id, version: v.version };
}

/** Makes `versionId` production with the registry's promotion transaction. */
export async function promoteVersion(db: Db, modelId: number, versionId: number): Promise<void> {
  const run = randomBytes(6).toString('hex');
  const result = await promote(db, {
    modelId,
    toVersionId: versionId,
    expectedFromVersionId: await productionVersionId(db, modelId),
    kind: 'promote',
    reason: 'test',
    decision: null,
    actor: 'test',
    workflowId: `test-promote-${run}`,
    runId: run,
  });
  if (result.status !== 'promoted') throw new Error(`promotion superseded: ${JSON.stringify(result)}`);
}
