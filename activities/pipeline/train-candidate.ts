/**
 * trainCandidate: trains a challenger on every training-split row up to the snapshot's upper
 * bound. Each epoch it checkpoints to the registry and heartbeats the epoch, so a retried attempt
 * resumes from the last epoch and ends with the same weights as an uninterrupted run. The version
 * is written once per run: a retry after the write returns it without training again.
 */
import { fitClassifier, type FitResult } from '../../ml/classifier.ts';
import type { FeaturizerOptions } from '../../ml/hashing-vectorizer.ts';
import { trainOnSource, type TrainHooks } from '../../ml/train.ts';
import type { TrainOptions } from '../../ml/train-options.ts';
import { streamedTrainingSet, type StreamLimits, type StreamStats } from './streamed-source.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../ml/checkpoint.ts';
import { encodeModel } from '../../ml/model-file.ts';
import { splitHyperparameters } from '../../ml/hyperparameters.ts';
import type { TrainingState } from '../../ml/train.ts';
import { getSnapshot } from '../../registry/datasets.ts';
import { countWindow, selectExamples, selectExamplesAtPositions } from '../../registry/examples.ts';
import type { Db } from '../../registry/pool.ts';
import {
  loadModelVersion,
  createCandidateVersion,
  deleteCheckpoint,
  findVersionForRun,
  getVersion,
  loadCheckpoint,
  saveCheckpoint,
  type VersionSummary,
} from '../../registry/versions.ts';
import type { CandidateSummary, RunRef, TrainCandidateInput, TrainingAttempt, TrainingHeartbeat, TrainingMode } from './types.ts';
import { replayPositions } from '../../ml/replay-sample.ts';
import { resolveTrainOptions } from '../../ml/train-options.ts';
import type { LinearModel } from '../../ml/softmax-regression.ts';
import { modelSettings } from '../../registry/model-settings.ts';
import type { SnapshotRow } from '../../registry/datasets.ts';
import type { StoredExample } from '../../registry/examples.ts';
import { recentTrainingStart } from '../../registry/example-features.ts';

export interface TrainingContext {
  run: RunRef;
  attempt: number;
  previousHeartbeat: TrainingHeartbeat | undefined;
  heartbeat: (details: TrainingHeartbeat) => void;
  signal: AbortSignal;
  /** Page and buffer sizes of streamed training (the worker's NIGHTSHIFT_TRAIN_BUFFER_ROWS). */
  streamLimits?: Partial<StreamLimits>;
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

interface UpdateSet {
  rows: StoredExample[];
  champion: { version: number; model: LinearModel };
  replayRows: number;
}

/**
 * Update mode's rows: the window's new training rows plus a seeded replay sample of older ones,
 * picked by position among the older rows (their texts stay in the database), so an update
 * costs what its new data costs.
 */
async function updateSet(
  db: Db,
  snapshot: SnapshotRow,
  championVersionId: number,
  input: TrainCandidateInput,
  seed: number,
): Promise<UpdateSet> {
  const fresh = await selectExamples(db, {
    modelId: snapshot.modelId,
    afterId: snapshot.afterExampleId,
    toId: snapshot.toExampleId,
    split: 'train',
  });
  const older = { modelId: snapshot.modelId, afterId: 0, toId: snapshot.afterExampleId, split: 'train' as const };
  const positions = replayPositions(await countWindow(db, older), fresh.length, { ...input.replay, seed });
  const replayed = await selectExamplesAtPositions(db, older, positions);
  const champion = await getVersion(db, championVersionId);
  return {
    rows: [...replayed, ...fresh],
    champion: { version: champion.version, model: await loadModelVersion(db, championVersionId) },
    replayRows: replayed.length,
  };
}

interface Trained {
  fit: FitResult;
  mode: TrainingMode;
  trainRows: number;
  replayRows: number;
  warmStartFrom: number | null;
  stream: StreamStats | null;
}

export async function trainCandidate(db: Db, ctx: TrainingContext, input: TrainCandidateInput): Promise<CandidateSummary> {
  const written = await findVersionForRun(db, ctx.run.workflowId, ctx.run.runId);
  if (written) return summaryOf(written);

  const snapshot = await getSnapshot(db, input.snapshotId);
  const { featurizer, train } = splitHyperparameters(input.hyperparameters);
  const mode = input.mode ?? (await modelSettings(db, snapshot.modelId)).trainingMode;

  let resumeFrom: TrainingState | undefined;
  const stored = await loadCheckpoint(db, ctx.run.workflowId, ctx.run.runId);
  if (stored) resumeFrom = decodeCheckpoint(stored.state);
  const attempts: TrainingAttempt[] = [
    ...(ctx.previousHeartbeat?.attempts ?? []),
    { attempt: ctx.attempt, resumedFromEpoch: resumeFrom?.epoch ?? 0 },
  ];
  let last: TrainingHeartbeat = { epoch: resumeFrom?.epoch ?? 0, trainLoss: null, validationLoss: null, attempts };
  ctx.heartbeat(last);
  const hooks: TrainHooks = {
    signal: ctx.signal,
    onYield: () => ctx.heartbeat(last),
    onEpoch: async (state, summary) => {
      await saveCheckpoint(db, ctx.run.workflowId, ctx.run.runId, ctx.attempt, state.epoch, encodeCheckpoint(state));
      last = { epoch: summary.epoch, trainLoss: summary.trainLoss, validationLoss: summary.validationLoss, attempts };
      ctx.heartbeat(last);
    },
  };

  let trained: Trained;
  if (mode === 'update' && snapshot.championVersionId !== null) {
    // Without a champion there is nothing to continue: update mode trains in full.
    const set = await updateSet(db, snapshot, snapshot.championVersionId, input, resolveTrainOptions(train).seed);
    trained = {
      fit: await fitClassifier(set.rows, { featurizer, train, resumeFrom, warmStart: set.champion.model, hooks }),
      mode: 'update',
      trainRows: set.rows.length,
      replayRows: set.replayRows,
      warmStartFrom: set.champion.version,
      stream: null,
    };
  } else {
    trained = await trainStreamed(db, snapshot, {
      featurizer,
      train,
      resumeFrom,
      hooks,
      heartbeat: () => ctx.heartbeat(last),
      limits: ctx.streamLimits,
      historyRows: input.historyRows,
    });
  }
  const { fit } = trained;

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
      trainRows: trained.trainRows,
      mode: trained.mode,
      warmStartFrom: trained.warmStartFrom,
      replayRows: trained.replayRows,
      trainSeconds: fit.trainSeconds,
      featurizeSeconds: fit.featurizeSeconds,
      ...(trained.stream ? { stream: trained.stream } : {}),
    },
    datasetSnapshotId: snapshot.id,
    workflowId: ctx.run.workflowId,
    runId: ctx.run.runId,
  });
  await deleteCheckpoint(db, ctx.run.workflowId, ctx.run.runId);
  return summaryOf(version);
}

interface StreamedFitOptions {
  featurizer: Partial<FeaturizerOptions>;
  train: Partial<TrainOptions>;
  resumeFrom: TrainingState | undefined;
  hooks: TrainHooks;
  heartbeat: () => void;
  limits?: Partial<StreamLimits>;
  historyRows?: number;
}

/**
 * A full retrain, streamed from the registry in pages (streamed-source.ts): memory bounded by the
 * page buffer, not by the model's history. The preparation pass (counting texts not yet in the
 * feature store) is reported as featurizeSeconds.
 */
async function trainStreamed(db: Db, snapshot: SnapshotRow, o: StreamedFitOptions): Promise<Trained> {
  const options = resolveTrainOptions(o.train);
  const t0 = performance.now();
  const afterId = o.historyRows === undefined ? 0 : await recentTrainingStart(db, snapshot.modelId, snapshot.toExampleId, o.historyRows);
  const set = await streamedTrainingSet(db, {
    modelId: snapshot.modelId,
    toId: snapshot.toExampleId,
    afterId,
    featurizer: o.featurizer,
    train: options,
    onPage: o.heartbeat,
    limits: o.limits,
    signal: o.hooks.signal,
  });
  const t1 = performance.now();
  const result = await trainOnSource({
    source: set.source,
    labels: set.labels,
    featurizer: set.featurizer,
    options: o.train,
    hooks: o.hooks,
    resumeFrom: o.resumeFrom,
  });
  const t2 = performance.now();
  const model: LinearModel = set.idf ? { ...result.model, idf: set.idf } : result.model;
  return {
    fit: { model, state: result.state, featurizeSeconds: (t1 - t0) / 1000, trainSeconds: (t2 - t1) / 1000 },
    mode: 'full',
    trainRows: set.source.totalRows,
    replayRows: 0,
    warmStartFrom: null,
    stream: set.stats,
  };
}
