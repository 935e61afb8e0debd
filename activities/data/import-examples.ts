/**
 * Imports labelled examples into the registry and reports what happened to each line. An import
 * is one transaction: every good line goes in, or (when the import itself fails: a full disk, a
 * lost connection) none does and the error says so. A bad line is never a failure of the import:
 * it is left out with its reason. Lines stream through in batches, so memory stays bounded
 * whatever the size of the input.
 */
import { ensureModel, type ModelRow } from '../registry/models.ts';
import { insertExamplesChecked, type NewExample } from '../registry/examples.ts';
import { withTransaction, type Db } from '../registry/pool.ts';
import type { JsonlLine, RejectedLine } from './jsonl.ts';

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
}

/** Rejections kept for the report: an endless stream of bad lines must not grow memory. */
export const MAX_REPORTED_REJECTIONS = 1000;
const BATCH = 500;

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

/** Imports a stream of parsed lines (see readJsonl) into `model`, in one transaction. */
export async function importLines(db: Db, model: ModelRow, source: string, input: AsyncIterable<JsonlLine>): Promise<ImportReport> {
  const report: ImportReport = { model: model.name, source, lines: 0, accepted: 0, duplicates: 0, rejected: [], rejectedCount: 0 };
  const reject = (r: RejectedLine): void => {
    report.rejectedCount++;
    if (report.rejected.length < MAX_REPORTED_REJECTIONS) report.rejected.push(r);
  };
  try {
    await withTransaction(db, async (client) => {
      let batch: Array<{ line: number; example: NewExample }> = [];
      const flush = async (): Promise<void> => {
        if (!batch.length) return;
        const result = await insertExamplesChecked(
          client,
          model.id,
          source,
          batch.map((b) => b.example),
        );
        report.accepted += result.inserted;
        report.duplicates += result.duplicates;
        for (const r of result.refused) reject({ line: batch[r.index].line, reason: r.reason });
        batch = [];
      };
      for await (const item of input) {
        report.lines = item.line;
        if ('reason' in item) reject(item);
        else batch.push(item);
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      report.rejected.sort((a, b) => a.line - b.line);
    });
  } catch (err) {
    throw new ImportFailed(
      `nothing was imported (an import is one transaction, rolled back): ${(err as Error).message} (after reading ${report.lines} lines)`,
      report.lines,
    );
  }
  return report;
}
