/** Where a trainer (text or tabular) stands between epochs: the part of its state both share. */
export interface TrainingProgress<Summary> {
  /** Completed epochs. */
  epoch: number;
  step: number;
  rngState: number;
  bestValidationLoss: number | null;
  epochsWithoutImprovement: number;
  stoppedEarly: boolean;
  history: Summary[];
}

/** What a trainer (text or tabular) calls back during training: the same contract for both. */
export interface TrainingHooks<State, Summary> {
  /** Called after each epoch with the live state (serialize it before returning if you keep it). */
  onEpoch?: (state: State, summary: Summary) => void | Promise<void>;
  /** Longest stretch of synchronous work between event-loop yields. Default 20 ms (the bound is 100). */
  yieldEveryMs?: number;
  /** Aborts between mini-batches. */
  signal?: AbortSignal;
  /** Called at every yield (a liveness tick: activities heartbeat here). */
  onYield?: (state: State) => void;
}
