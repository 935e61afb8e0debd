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
