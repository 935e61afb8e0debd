/**
 * Imports labelled examples into the registry and reports what happened to each line. An import
 * is one transaction: every good line goes in, or (when the import itself fails: a full disk, a
 * lost connection) none does and the error says so. A bad line is never a failure of the import:
 * it is left out with its reason. Lines stream through in batches, so memory stays bounded
 * whatever the size of the input.
 */
import { ensureModel, type ModelRow } from './models.ts';
import { copyExamplesChecked, type NewExample } from './examples.ts';
import { withTransaction, type Db } from './pool.ts';

/** A line of an import that was refused, and why. */
export interface RejectedLine {
  line: number;
  reason: string;
}

/** One line of an import as the reader gives it: an example, or the reason it is not one. */
export type JsonlLine = { line: number; example: NewExample } | { line: number; reason: string };

export interface ImportReport {
  model: string;
  source: string;
  /** Lines read (blank ones included). */
  lines: number;
  accepted: number;
  duplicates: number;
  /** The first MAX_REPORTED_REJECTIONS rejected lines with their reasons. */
  rejected: RejectedLine[];
  /** Every rejected line, reported or not. */
  rejectedCount: number;
  /** Wall time of the import: reading, checking and writing, commit included. */
  seconds: number;
  /** Rows (accepted, duplicate or rejected) per second of that time. */
  rowsPerSecond: number;
}

/** Rejections kept for the report: an endless stream of bad lines must not grow memory. */
export const MAX_REPORTED_REJECTIONS = 1000;
/**
 * A batch is COPYed into a staging table and moved to `examples` by one INSERT ... SELECT; it is
 * flushed at this many rows or bytes of text, whichever comes first, so memory stays bounded
 * (two batches at most: one being written while the next is read).
 */
const BATCH_ROWS = 5000;
/** The first batch is smaller (each next one twice the last, up to BATCH_ROWS): a slow stream's first rows are written promptly. */
const FIRST_BATCH_ROWS = 500;
const BATCH_BYTES = 16 * 1024 * 1024;

/** An import that failed as a whole: nothing it read was stored. */
export class ImportFailed extends Error {
  constructor(
    message: string,
    readonly linesRead: number,
  ) {
    super(message);
  }
}

/** Imports already-parsed rows (the demo feed, feedback, tests). */
export async function importExamples(
  db: Db,
  modelName: string,
  source: string,
  rows: NewExample[],
  rejected: RejectedLine[] = [],
): Promise<ImportReport> {
  const model = await ensureModel(db, modelName);
  async function* lines(): AsyncGenerator<JsonlLine> {
    let line = 0;
    for (const example of rows) yield { line: ++line, example };
  }
  const report = await importLines(db, model, source, lines());
  return { ...report, rejected: [...rejected, ...report.rejected], rejectedCount: report.rejectedCount + rejected.length };
}

/**
 * Imports a stream of parsed lines (see readJsonl) into `target`, in one transaction: a model to
 * create ({ create: name }) is created in that transaction, so an import that fails or is
 * interrupted leaves no empty model behind.
 */
export async function importLines(
  db: Db,
  target: ModelRow | { create: string },
  source: string,
  input: AsyncIterable<JsonlLine>,
): Promise<ImportReport> {
  const started = performance.now();
  const report: ImportReport = {
    model: 'create' in target ? target.create : target.name,
    source,
    lines: 0,
    accepted: 0,
    duplicates: 0,
    rejected: [],
    rejectedCount: 0,
    seconds: 0,
    rowsPerSecond: 0,
  };
  const reject = (r: RejectedLine): void => {
    report.rejectedCount++;
    if (report.rejected.length < MAX_REPORTED_REJECTIONS) report.rejected.push(r);
  };
  try {
    await withTransaction(db, async (client) => {
      const model = 'create' in target ? await ensureModel(client, target.create) : target;
      let batch: Array<{ line: number; example: NewExample }> = [];
      let batchBytes = 0;
      let batchRows = FIRST_BATCH_ROWS;
      // The batch being written: the next one is read and checked meanwhile (the database and
      // this process work at once), and awaited before another starts (one statement at a time
      // on the transaction's connection).
      let writing: Promise<void> = Promise.resolve();
      const write = async (rows: Array<{ line: number; example: NewExample }>): Promise<void> => {
        const result = await copyExamplesChecked(
          client,
          model.id,
          source,
          rows.map((b) => b.example),
        );
        report.accepted += result.inserted;
        report.duplicates += result.duplicates;
        for (const r of result.refused) reject({ line: rows[r.index].line, reason: r.reason });
      };
      const flush = async (): Promise<void> => {
        await writing;
        if (!batch.length) return;
        writing = write(batch);
        // Awaited at the next flush; until then a failure must not count as unhandled.
        writing.catch(() => undefined);
        batch = [];
        batchBytes = 0;
        batchRows = Math.min(BATCH_ROWS, batchRows * 2);
      };
      for await (const item of input) {
        report.lines = item.line;
        if ('reason' in item) reject(item);
        else {
          batch.push(item);
          batchBytes += item.example.text.length;
        }
        if (batch.length >= batchRows || batchBytes >= BATCH_BYTES) await flush();
      }
      await flush();
      await writing;
      report.rejected.sort((a, b) => a.line - b.line);
    });
  } catch (err) {
    throw new ImportFailed(
      `nothing was imported (an import is one transaction, rolled back): ${(err as Error).message} (after reading ${report.lines} lines)`,
      report.lines,
    );
  }
  report.seconds = (performance.now() - started) / 1000;
  const rows = report.accepted + report.duplicates + report.rejectedCount;
  report.rowsPerSecond = report.seconds > 0 ? Math.round(rows / report.seconds) : 0;
  return report;
}
