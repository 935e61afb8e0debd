/**
 * Update mode's replay sample: a seeded, deterministic sample of older training rows mixed into the
 * new rows, so a model continued on new data does not forget what the older data taught it. The
 * same rows, seed and options always give the same sample, in the rows' original order.
 */
import { MlError } from './errors.ts';
import { Rng } from './rng.ts';

export interface ReplayOptions {
  /** Number of older rows to replay; when set it wins over `share`. Default null. */
  size: number | null;
  /** Share of the training set (new + replayed) that replayed rows make up, in [0, 1). Default 0.5. */
  share: number;
  /** Seed of the sample. Default 42. */
  seed: number;
}

export const defaultReplayOptions: ReplayOptions = { size: null, share: 0.5, seed: 42 };

export function checkReplayOptions(o: ReplayOptions): void {
  const bad = (msg: string): never => {
    throw new MlError('InvalidOptions', msg);
  };
  if (o.size !== null && (!Number.isInteger(o.size) || o.size < 0)) bad(`replay size must be an integer >= 0 or null, got ${o.size}`);
  if (!(o.share >= 0 && o.share < 1)) bad(`replay share must be in [0, 1), got ${o.share}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    bad(`replay seed must be an integer in [0, 4294967295], got ${o.seed}`);
}

export function resolveReplayOptions(partial: Partial<ReplayOptions> = {}): ReplayOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const options = { ...defaultReplayOptions, ...defined } as ReplayOptions;
  checkReplayOptions(options);
  return options;
}

/** How many older rows to replay next to `newRows` new ones: `size`, or the count that makes `share` of the whole; at most `olderRows`. */
export function replayCount(olderRows: number, newRows: number, options: Partial<ReplayOptions> = {}): number {
  const o = resolveReplayOptions(options);
  const wanted = o.size ?? Math.round((newRows * o.share) / (1 - o.share));
  return Math.min(olderRows, wanted);
}

/** A deterministic sample (without replacement) of `older`, sized by replayCount, in its original order. */
export function replaySample<T>(older: readonly T[], newRows: number, options: Partial<ReplayOptions> = {}): T[] {
  return Array.from(replayPositions(older.length, newRows, options), (i) => older[i]);
}

/**
 * The positions (0-based, ascending) among `olderRows` rows that replaySample picks: a sample of a
 * long history can be drawn knowing only how many rows it has.
 */
export function replayPositions(olderRows: number, newRows: number, options: Partial<ReplayOptions> = {}): Int32Array {
  const o = resolveReplayOptions(options);
  const count = replayCount(olderRows, newRows, o);
  const index = new Int32Array(olderRows);
  for (let i = 0; i < index.length; i++) index[i] = i;
  // Partial Fisher-Yates: the first `count` slots are a uniform sample.
  const rng = new Rng(o.seed);
  for (let i = 0; i < count; i++) {
    const j = i + rng.nextInt(olderRows - i);
    const t = index[i];
    index[i] = index[j];
    index[j] = t;
  }
  return index.slice(0, count).sort();
}
