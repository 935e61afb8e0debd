import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Config } from '../../stack/config.ts';
import { openRegistry } from '../../registry/open.ts';
import { log, printJson } from '../output.ts';
import { parse, UsageError } from './args.ts';
import { readJsonl } from '../../data/jsonl.ts';
import { importLines, type ImportReport } from '../../registry/import-examples.ts';
import { releaseNextBatch, DEMO_MODEL } from '../../data/spam-demo.ts';
import { checkModelName, findModel, nearestModelName } from '../../registry/models.ts';
import type { Db } from '../../registry/pool.ts';

export const DATA_HELP = `Usage: nightshift data import --model NAME --file F.jsonl|- [--create] [--json]
       nightshift data next-batch [--model NAME] [--json]

import:      loads labelled JSONL ({"text": ..., "label": ...} a line; optional "id", "ts"; other
             fields kept as metadata) from a regular file, or standard input with --file -.
             Reports rows accepted, duplicates (same text already stored), each rejected line
             with its reason, and throughput (rows/s; "rowsPerSecond" in --json). Rows are
             COPYed in batches and deduplicated by the database; a bad line never stops the good ones. An import is one transaction:
             if it fails as a whole (say, a full disk) nothing is stored and it says so. Exits 1
             when every line was rejected. The model must exist unless --create is given (it is
             then created in the import's transaction). Ctrl-C rolls the import back, says so
             and exits 130: no rows, and no model made by --create, are left behind.
next-batch:  releases the next batch of the SpamAssassin demo feed (ordered by Date header: the
             first batch is the older 3000 messages, each later one the next 500), so the next
             run sees newer mail arriving. Model defaults to spam.

Exit status: 0 done, 1 the operation failed, 2 usage error.`;

/** Standard input, or a regular file (a device such as /dev/zero, a directory or a FIFO is refused). */
function openInput(file: string): { stream: Readable; source: string } {
  if (file === '-') return { stream: process.stdin, source: 'stdin' };
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (err) {
    throw new UsageError(`cannot read --file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!isFile) throw new UsageError(`--file ${file} is not a regular file (use --file - to read standard input)`);
  return { stream: createReadStream(file, { highWaterMark: 1 << 20 }), source: `file:${file}` };
}

/** The model to import into: it must exist, unless --create (then created by the import's own transaction); a typo gets the nearest name. */
async function importTarget(db: Db, name: string, create: boolean) {
  const model = await findModel(db, name);
  if (model) return model;
  if (create) return { create: name };
  const nearest = await nearestModelName(db, name);
  throw new UsageError(
    `model ${JSON.stringify(name)} does not exist${nearest ? `; did you mean ${JSON.stringify(nearest)}?` : ''} (pass --create to create it)`,
  );
}

function printImport(report: ImportReport, json: boolean): void {
  if (json) return printJson(report);
  process.stdout.write(
    `${report.model}: ${report.accepted} accepted, ${report.duplicates} duplicates, ${report.rejectedCount} rejected (${report.lines} lines read in ${report.seconds.toFixed(1)} s, ${report.rowsPerSecond} rows/s)\n`,
  );
  for (const r of report.rejected.slice(0, 50)) process.stdout.write(`  line ${r.line}: ${r.reason}\n`);
  if (report.rejectedCount > 50)
    process.stdout.write(
      `  ... ${report.rejectedCount - 50} more rejected lines${report.rejected.length > 50 ? ' (use --json for the first 1000)' : ''}\n`,
    );
}

async function importFile(values: { model?: string; file?: string; create?: boolean; json?: boolean }, config: Config): Promise<number> {
  if (!values.model) throw new UsageError('data import needs --model NAME');
  if (!values.file) throw new UsageError('data import needs --file F.jsonl (or --file - for standard input)');
  checkModelName(values.model);
  const input = openInput(values.file);
  const registry = await openRegistry(config);
  // Ctrl-C (or SIGTERM) stops reading: the transaction rolls back (a model --create made with it) and it says so.
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted ??= signal;
    input.stream.destroy(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const model = await importTarget(registry.db, values.model, values.create ?? false);
    let report: ImportReport;
    try {
      report = await importLines(registry.db, model, input.source, readJsonl(input.stream));
    } catch (err) {
      if (!interrupted) throw err;
      log(
        `nightshift: data import interrupted (${interrupted}): nothing was imported (the import is one transaction, rolled back)${'create' in model ? `; model ${values.model} was not created` : ''}`,
      );
      return 130;
    }
    printImport(report, values.json ?? false);
    if (report.rejectedCount > 0 && report.accepted + report.duplicates === 0) {
      log(`nightshift: every line of ${values.file} was rejected; nothing was imported`);
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    input.stream.destroy();
    await registry.close();
  }
}

export async function data(argv: string[], config: Config): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, {
    model: { type: 'string' },
    file: { type: 'string' },
    create: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help || sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(DATA_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'import') return importFile(values, config);
  if (sub === 'next-batch') {
    const model = values.model ?? DEMO_MODEL;
    checkModelName(model);
    const registry = await openRegistry(config);
    try {
      const report = await releaseNextBatch(registry.db, model);
      if (values.json) printJson(report);
      else if (report.accepted + report.duplicates === 0) log('the SpamAssassin feed is exhausted: every message was released');
      else
        process.stdout.write(
          `${model}: batch ${report.batch} released ${report.accepted} messages dated ${report.from} .. ${report.to} (${report.remaining} left)\n`,
        );
      return 0;
    } finally {
      await registry.close();
    }
  }
  throw new UsageError(`unknown subcommand data ${sub}; use import or next-batch`);
}
