/**
 * Streamed training rows (issue 15): a model's training split read from the registry in keyset
 * pages, so a worker's memory depends on the page and buffer sizes, not on how much history the
 * model has. One preparation pass in id order counts the texts that have no stored counts under
 * the run's counting key (and stores them for the next run), sums document frequencies when the
 * featurizer weighs by IDF, and keeps the validation rows (a seeded hash of the example id picks
 * them; at most `validationCap`). Each epoch then shuffles the page order with the trainer's rng,
 * reads `bufferPages` pages at a time (the next group is read while the current one trains) and
 * shuffles the rows within the buffer. With one page and no validation this is exactly the
 * in-memory trainer's order. A history that fits the buffer is read once and trained exactly as
 * in memory (`memorySource`: the same validation split and order as `nightshift train`), so small
 * models behave as they always did (test/integration/streamed-training.test.ts).
 */
import { decodeCounts, encodeCounts, newCountRow, type CountRow } from '../../ml/count-codec.ts';
import { MlError } from '../../ml/errors.ts';
import {
  countingKey,
  HashingVectorizer,
  idfFromDocumentFrequency,
  resolveFeaturizerOptions,
  settleCharNgrams,
  type FeaturizerOptions,
} from '../../ml/hashing-vectorizer.ts';
import { MIN_TRAINING_EXAMPLES } from '../../ml/labelled-data.ts';
import type { Rng } from '../../ml/rng.ts';
import { CsrBuilder } from '../../ml/sparse.ts';
import { memorySource, type TrainingBlock, type TrainingSource } from '../../ml/train.ts';
import type { TrainOptions } from '../../ml/train-options.ts';
import { trainingLabelCounts } from '../../registry/examples.ts';
import {
  meanTrainingTextLength,
  readTrainingPage,
  storeCounts,
  trainingPages,
  type ExamplePage,
  type PageRow,
} from '../../registry/example-features.ts';
import type { Queryable } from '../../registry/pool.ts';

export interface StreamLimits {
  /** Rows per keyset page. Default 2048. */
  pageRows: number;
  /** Pages held in memory at once (the shuffle buffer). Default 8. */
  bufferPages: number;
  /** Most validation rows kept in memory for early stopping. Default 20,000. */
  validationCap: number;
}

export const defaultStreamLimits: StreamLimits = { pageRows: 2048, bufferPages: 8, validationCap: 20_000 };

/** Limits for a buffer of `rows` training rows: 8 pages of rows / 8. */
export function streamLimitsForBuffer(rows: number): StreamLimits {
  const bufferPages = 8;
  return { ...defaultStreamLimits, pageRows: Math.max(1, Math.floor(rows / bufferPages)), bufferPages };
}

export interface StreamStats {
  pages: number;
  trainRows: number;
  validationRows: number;
  /** Rows whose counts were read from the feature store in the preparation pass. */
  storedCountRows: number;
  /** Rows counted from their text in the preparation pass (and stored). */
  countedRows: number;
  /** The largest block handed to the trainer, in rows. */
  maxBlockRows: number;
}

export interface StreamedTrainingSet {
  source: TrainingSource;
  labels: string[];
  /** Settled featurizer options (charNgrams 'auto' decided on the training texts' mean length). */
  featurizer: FeaturizerOptions;
  idf: Float32Array | null;
  stats: StreamStats;
}

export interface StreamedTrainingInput {
  modelId: number;
  /** Training rows with afterId < id <= toId. */
  toId: number;
  /** Default 0: all history. */
  afterId?: number;
  featurizer: Partial<FeaturizerOptions>;
  train: TrainOptions;
  limits?: Partial<StreamLimits>;
  /** Write the counts computed from texts to the feature store. Default true. */
  storeCounts?: boolean;
  /** Called after each page of the preparation pass (a liveness tick for heartbeats). */
  onPage?: (done: number, pages: number) => void;
  signal?: AbortSignal;
}

/** A uniform number in [0, 1) from an example id and a seed (murmur3's finalizer): which rows validate. */
export function idUniform(id: number, seed: number): number {
  let h = (Math.imul(id >>> 0, 0x9e3779b1) ^ Math.floor(id / 4294967296) ^ seed) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Counted rows and their labels, turned into a block of features once IDF is known. */
class CountRows {
  private readonly counts: CsrBuilder;
  readonly y: number[] = [];

  constructor(buckets: number) {
    this.counts = new CsrBuilder(buckets);
  }

  add(row: CountRow, y: number): void {
    this.counts.addRow(row.indices, row.counts, row.n);
    this.y.push(y);
  }

  /** Weighed by `vectorizer` (its IDF weights set). */
  weigh(vectorizer: HashingVectorizer): TrainingBlock {
    const x = vectorizer.weighCounts(this.counts.build());
    return { x, y: Int32Array.from(this.y), rows: Int32Array.from({ length: this.y.length }, (_, i) => i) };
  }
}

/** Reads pages and turns their rows into counts: stored ones decoded, missing ones counted from the text. */
class PageReader {
  private readonly row = newCountRow();

  constructor(
    private readonly db: Queryable,
    private readonly modelId: number,
    private readonly key: string,
    private readonly vectorizer: HashingVectorizer,
  ) {}

  read(page: ExamplePage): Promise<PageRow[]> {
    return readTrainingPage(this.db, this.modelId, page, this.key);
  }

  /** Calls `each` with every row's counts (valid during the call); returns the counts computed from text, to store. */
  counts(rows: PageRow[], each: (r: PageRow, counts: CountRow) => void): { ids: number[]; counts: Buffer[] } {
    const fresh = { ids: [] as number[], counts: [] as Buffer[] };
    for (const r of rows) {
      if (r.counts !== null) {
        each(r, decodeCounts(r.counts, this.row));
        continue;
      }
      if (r.text === null) throw new MlError('InvalidTrainingData', `example ${r.id} has neither stored counts nor text`);
      this.vectorizer.countRow(r.text, (indices, counts, n) => {
        this.row.n = n;
        if (this.row.indices.length < n) {
          this.row.indices = new Int32Array(n);
          this.row.counts = new Float64Array(n);
        }
        this.row.indices.set(indices.subarray(0, n));
        this.row.counts.set(counts.subarray(0, n));
        fresh.ids.push(r.id);
        fresh.counts.push(encodeCounts(indices, counts, n));
      });
      each(r, this.row);
    }
    return fresh;
  }
}

/** Prepares a streamed training set: labels, settled featurizer, IDF, validation rows and the epoch reader. */
export async function streamedTrainingSet(db: Queryable, input: StreamedTrainingInput): Promise<StreamedTrainingSet> {
  const limits = { ...defaultStreamLimits, ...input.limits };
  const afterId = input.afterId ?? 0;
  const labelCounts = await trainingLabelCounts(db, input.modelId, input.toId, afterId);
  const labels = Object.keys(labelCounts).sort();
  const total = Object.values(labelCounts).reduce((s, n) => s + n, 0);
  if (total < MIN_TRAINING_EXAMPLES) {
    throw new MlError('InvalidTrainingData', `training needs at least ${MIN_TRAINING_EXAMPLES} rows, got ${total}`);
  }
  if (labels.length < 2) {
    throw new MlError(
      'InvalidTrainingData',
      `training needs at least 2 distinct labels, got ${labels.length} (${labels.map((l) => JSON.stringify(l)).join(', ')})`,
    );
  }
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  let featurizer = resolveFeaturizerOptions(input.featurizer);
  if (featurizer.charNgrams === 'auto') {
    featurizer = settleCharNgrams(featurizer, await meanTrainingTextLength(db, input.modelId, input.toId, afterId));
  }
  const vectorizer = new HashingVectorizer(featurizer);
  const key = countingKey(featurizer);
  const fits = total <= limits.pageRows * limits.bufferPages;
  const pages = await trainingPages(db, input.modelId, input.toId, fits ? total : limits.pageRows, afterId);
  const reader = new PageReader(db, input.modelId, key, vectorizer);

  const o = input.train;
  const validationShare =
    o.earlyStopping && o.validationFraction > 0 && total >= 10 ? Math.min(o.validationFraction, limits.validationCap / total) : 0;
  const validationSeed = (o.seed ^ 0x5bd1e995) >>> 0;
  const isValidation = (id: number): boolean => validationShare > 0 && idUniform(id, validationSeed) < validationShare;

  // Preparation pass, in id order: count what is not stored (and store it), document frequencies, validation rows.
  const stats: StreamStats = { pages: pages.length, trainRows: 0, validationRows: 0, storedCountRows: 0, countedRows: 0, maxBlockRows: 0 };
  const df = featurizer.idf ? new Float64Array(featurizer.buckets) : null;
  const validation = new CountRows(featurizer.buckets);
  /** When the history fits the buffer: every row, kept for memorySource. */
  const all = fits ? new CountRows(featurizer.buckets) : null;
  let seen = 0;
  for (let p = 0; p < pages.length; p++) {
    const rows = await reader.read(pages[p]);
    const fresh = reader.counts(rows, (r, counts) => {
      if (df) for (let i = 0; i < counts.n; i++) df[counts.indices[i]]++;
      if (all) all.add(counts, labelIndex.get(r.label) ?? -1);
      else if (isValidation(r.id)) validation.add(counts, labelIndex.get(r.label) ?? -1);
    });
    seen += rows.length;
    stats.countedRows += fresh.ids.length;
    stats.storedCountRows += rows.length - fresh.ids.length;
    if (input.storeCounts !== false) await storeCounts(db, key, fresh.ids, fresh.counts);
    input.onPage?.(p + 1, pages.length);
    if (input.signal?.aborted) throw input.signal.reason ?? new Error('training aborted');
  }
  if (seen !== total) {
    throw new MlError('InvalidTrainingData', `the training split changed while it was read (${seen} rows, ${total} expected)`);
  }
  if (validation.y.some((y) => y < 0) || all?.y.some((y) => y < 0))
    throw new MlError('InvalidTrainingData', 'a training label changed while it was read');
  const idf = df ? idfFromDocumentFrequency(df, total) : null;
  vectorizer.idf = idf;
  const classCounts = Float64Array.from(labels, (l) => labelCounts[l]);
  if (all) {
    const { x, y } = all.weigh(vectorizer);
    const source = memorySource(x, y, labels.length, o);
    const validationRows = source.validation?.rows.length ?? 0;
    Object.assign(stats, { validationRows, trainRows: total - validationRows, maxBlockRows: total - validationRows });
    return { source, labels, featurizer, idf, stats };
  }
  const validationBlock = validation.y.length > 0 ? validation.weigh(vectorizer) : null;
  stats.validationRows = validation.y.length;
  stats.trainRows = total - stats.validationRows;

  /** One buffer: the training rows of some pages, weighed. */
  const buildBlock = (groups: PageRow[][]): TrainingBlock => {
    const block = new CountRows(featurizer.buckets);
    for (const rows of groups) {
      // Counts replaced under another key since the preparation pass (a concurrent run with other
      // settings) are counted again here, and not written back from inside an epoch.
      reader.counts(rows, (r, counts) => {
        if (!isValidation(r.id)) block.add(counts, labelIndex.get(r.label) ?? -1);
      });
    }
    if (block.y.some((y) => y < 0)) throw new MlError('InvalidTrainingData', 'a training label changed while it was read');
    return block.weigh(vectorizer);
  };

  const readGroup = (group: Int32Array): Promise<PageRow[][]> => Promise.all(Array.from(group, (p) => reader.read(pages[p])));

  const source: TrainingSource = {
    totalRows: total,
    classCounts,
    validation: validationBlock,
    async *epoch(rng: Rng) {
      const order = rng.shuffle(Int32Array.from({ length: pages.length }, (_, i) => i));
      const groups: Int32Array[] = [];
      for (let g = 0; g < order.length; g += limits.bufferPages) groups.push(order.subarray(g, g + limits.bufferPages));
      let next = groups.length > 0 ? readGroup(groups[0]) : null;
      for (let g = 0; g < groups.length; g++) {
        const rows = await next!;
        next = g + 1 < groups.length ? readGroup(groups[g + 1]) : null;
        // An unhandled rejection of the prefetch must not escape if training stops first.
        next?.catch(() => undefined);
        const block = buildBlock(rows);
        stats.maxBlockRows = Math.max(stats.maxBlockRows, block.rows.length);
        yield { block, order: rng.shuffle(block.rows.slice()) };
      }
    },
  };
  return { source, labels, featurizer, idf, stats };
}
