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
  getVersion,
  loadCheckpoint,
  saveCheckpoint,
  type VersionSummary,
} from '../registry/versions.ts';
import type { CandidateSummary, RunRef, TrainCandidateInput, TrainingAttempt, TrainingHeartbeat, TrainingMode } from './types.ts';
import { replaySample } from '../ml/replay-sample.ts';
import { resolveTrainOptions } from '../ml/train-options.ts';
import type { LinearModel } from '../ml/softmax-regression.ts';
import { modelSettings } from '../registry/model-settings.ts';
import type { SnapshotRow } from '../registry/datasets.ts';
import type { StoredExample } from '../registry/examples.ts';
import { loadModelVersion } from './evaluate-model.ts';

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
    mode?: TrainingMode;
    warmStartFrom?: number | null;
    trainRows: number;
    replayRows?: number;
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
    mode: t.mode ?? 'full',
    warmStartFrom: t.warmStartFrom ?? null,
    trainRows: t.trainRows,
    replayRows: t.replayRows ?? 0,
  };
}

interface TrainingSet {
  rows: StoredExample[];
  mode: TrainingMode;
  champion: { version: number; model: LinearModel } | null;
  replayRows: number;
}

/**
 * What the candidate trains on. Full: every training-split row to date. Update: the champion's
 * weights continued on the window's new training rows plus a seeded replay sample of older ones;
 * without a champion there is nothing to continue, so it trains in full.
 */
async function trainingSet(db: Db, snapshot: SnapshotRow, input: TrainCandidateInput, seed: number): Promise<TrainingSet> {
  const mode = input.mode ?? (await modelSettings(db, snapshot.modelId)).trainingMode;
  const all = () => selectExamples(db, { modelId: snapshot.modelId, afterId: 0, toId: snapshot.toExampleId, split: 'train' });
  if (mode === 'full' || snapshot.championVersionId === null) return { rows: await all(), mode: 'full', champion: null, replayRows: 0 };
  const fresh = await selectExamples(db, {
    modelId: snapshot.modelId,
    afterId: snapshot.afterExampleId,
    toId: snapshot.toExampleId,
    split: 'train',
  });
  const older = await selectExamples(db, { modelId: snapshot.modelId, afterId: 0, toId: snapshot.afterExampleId, split: 'train' });
  const replayed = replaySample(older, fresh.length, { ...input.replay, seed });
  const champion = await getVersion(db, snapshot.championVersionId);
  return {
    rows: [...replayed, ...fresh],
    mode: 'update',
    champion: { version: champion.version, model: await loadModelVersion(db, snapshot.championVersionId) },
    replayRows: replayed.length,
  };
}

export async function trainCandidate(db: Db, ctx: TrainingContext, input: TrainCandidateInput): Promise<CandidateSummary> {
  const written = await findVersionForRun(db, ctx.run.workflowId, ctx.run.runId);
  if (written) return summaryOf(written);

  const snapshot = await getSnapshot(db, input.snapshotId);
  const { featurizer, train } = splitHyperparameters(input.hyperparameters);
  const set = await trainingSet(db, snapshot, input, resolveTrainOptions(train).seed);
  const rows = set.rows;

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
    ...(set.champion ? { warmStart: set.champion.model } : {}),
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
      mode: set.mode,
      warmStartFrom: set.champion?.version ?? null,
      replayRows: set.replayRows,
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
