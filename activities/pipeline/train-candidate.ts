/**
 * trainCandidate: trains a challenger on every training-split row up to the snapshot's upper
 * bound. Each epoch it checkpoints to the registry and heartbeats the epoch, so a retried attempt
 * resumes from the last epoch and ends with the same weights as an uninterrupted run. The version
 * is written once per run: a retry after the write returns it without training again.
 */
import { fitClassifier } from '../ml/classifier.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../ml/checkpoint.ts';
import { encodeModel } from '../ml/model-file.ts';
import { splitHyperparameters } from '../ml/hyperparameters.ts';
import type { TrainingState } from '../ml/train.ts';
import { getSnapshot } from '../registry/datasets.ts';
import { selectExamples } from '../registry/examples.ts';
import type { Db } from '../registry/pool.ts';
import {
  createCandidateVersion,
  deleteCheckpoint,
  findVersionForRun,
  loadCheckpoint,
  saveCheckpoint,
  type VersionSummary,
} from '../registry/versions.ts';
import type { CandidateSummary, RunRef, TrainCandidateInput, TrainingAttempt, TrainingHeartbeat } from './types.ts';

export interface TrainingContext {
  run: RunRef;
  attempt: number;
  previousHeartbeat: TrainingHeartbeat | undefined;
  heartbeat: (details: TrainingHeartbeat) => void;
  signal: AbortSignal;
}

function summaryOf(v: VersionSummary): CandidateSummary {
  const t = v.training as {
    epochs: number;
    stoppedEarly: boolean;
    finalTrainLoss: number | null;
    finalValidationLoss: number | null;
    attempts: TrainingAttempt[];
    trainSeconds: number;
  };
  return {
    versionId: v.id,
    version: v.version,
    sha256: v.sha256,
    epochs: t.epochs,
    stoppedEarly: t.stoppedEarly,
    finalTrainLoss: t.finalTrainLoss,
    finalValidationLoss: t.finalValidationLoss,
    attempts: t.attempts,
    trainSeconds: t.trainSeconds,
  };
}

export async function trainCandidate(db: Db, ctx: TrainingContext, input: TrainCandidateInput): Promise<CandidateSummary> {
  const written = await findVersionForRun(db, ctx.run.workflowId, ctx.run.runId);
  if (written) return summaryOf(written);

  const snapshot = await getSnapshot(db, input.snapshotId);
  const rows = await selectExamples(db, { modelId: snapshot.modelId, afterId: 0, toId: snapshot.toExampleId, split: 'train' });
  const { featurizer, train } = splitHyperparameters(input.hyperparameters);

  let resumeFrom: TrainingState | undefined;
  const stored = await loadCheckpoint(db, ctx.run.workflowId, ctx.run.runId);
  if (stored) resumeFrom = decodeCheckpoint(stored.state);
  const attempts: TrainingAttempt[] = [
    ...(ctx.previousHeartbeat?.attempts ?? []),
    { attempt: ctx.attempt, resumedFromEpoch: resumeFrom?.epoch ?? 0 },
  ];
  let last: TrainingHeartbeat = { epoch: resumeFrom?.epoch ?? 0, trainLoss: null, validationLoss: null, attempts };
  ctx.heartbeat(last);

  const fit = await fitClassifier(rows, {
    featurizer,
    train,
    resumeFrom,
    hooks: {
      signal: ctx.signal,
      onYield: () => ctx.heartbeat(last),
      onEpoch: async (state, summary) => {
        await saveCheckpoint(db, ctx.run.workflowId, ctx.run.runId, ctx.attempt, state.epoch, encodeCheckpoint(state));
        last = { epoch: summary.epoch, trainLoss: summary.trainLoss, validationLoss: summary.validationLoss, attempts };
        ctx.heartbeat(last);
      },
    },
  });

  const encoded = encodeModel(fit.model);
  const history = fit.state.history;
  const final = history[history.length - 1];
  const version = await createCandidateVersion(db, {
    modelId: snapshot.modelId,
    formatVersion: encoded.formatVersion,
    weights: encoded.bytes,
    sha256: encoded.sha256,
    labels: fit.model.labels,
    hyperparameters: { featurizer: fit.model.featurizer, train: fit.state.options },
    training: {
      epochs: fit.state.epoch,
      stoppedEarly: fit.state.stoppedEarly,
      finalTrainLoss: final?.trainLoss ?? null,
      finalValidationLoss: final?.validationLoss ?? null,
      history,
      attempts,
      trainRows: rows.length,
      trainSeconds: fit.trainSeconds,
      featurizeSeconds: fit.featurizeSeconds,
    },
    datasetSnapshotId: snapshot.id,
    workflowId: ctx.run.workflowId,
    runId: ctx.run.runId,
  });
  await deleteCheckpoint(db, ctx.run.workflowId, ctx.run.runId);
  return summaryOf(version);
}
