import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
/** `nightshift data import|next-batch`. */
import type { ConfigSource } from '../catalog.ts';
import { log, printJson } from '../output.ts';
import { dispatch, modelFlag, parse, UsageError } from './args.ts';
import { type ConfigInput, configSource, withRegistry } from './connect.ts';
import { DATA_HELP } from '../help/data.ts';
import { findModel, nearestModelName } from '../../registry/models.ts';
import type { ImportReport } from '../../registry/import-examples.ts';
import type { Db } from '../../registry/pool.ts';

/** The demo model (data/spam-demo.ts's DEMO_MODEL, which loads the corpus module: a unit test keeps the two equal). */
export const DEMO_MODEL_NAME = 'spam';

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

async function importFile(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    file: { type: 'string' },
    create: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const name = modelFlag(values.model, 'data import');
  if (!values.file) throw new UsageError('data import needs --file F.jsonl (or --file - for standard input)');
  const input = openInput(values.file);
  // Ctrl-C (or SIGTERM) stops reading: the transaction rolls back (a model --create made with it) and it says so.
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted ??= signal;
    input.stream.destroy(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await withRegistry(config, async ({ db }) => {
      const [{ importLines }, { readJsonl }] = await Promise.all([
        import('../../registry/import-examples.ts'),
        import('../../data/jsonl.ts'),
      ]);
      const model = await importTarget(db, name, values.create ?? false);
      let report: ImportReport;
      try {
        report = await importLines(db, model, input.source, readJsonl(input.stream));
      } catch (err) {
        if (!interrupted) throw err;
        log(
          `nightshift: data import interrupted (${interrupted}): nothing was imported (the import is one transaction, rolled back)${'create' in model ? `; model ${name} was not created` : ''}`,
        );
        return 130;
      }
      printImport(report, values.json ?? false);
      if (report.rejectedCount > 0 && report.accepted + report.duplicates === 0) {
        log(`nightshift: every line of ${values.file} was rejected; nothing was imported`);
        return 1;
      }
      return 0;
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    input.stream.destroy();
  }
}

async function nextBatch(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, json: { type: 'boolean' } });
  const model = modelFlag(values.model ?? DEMO_MODEL_NAME, 'data next-batch');
  return withRegistry(config, async ({ db }) => {
    const { releaseNextBatch } = await import('../../data/spam-demo.ts');
    const report = await releaseNextBatch(db, model);
    if (values.json) printJson(report);
    else if (report.accepted + report.duplicates === 0) log('the SpamAssassin feed is exhausted: every message was released');
    else
      process.stdout.write(
        `${model}: batch ${report.batch} released ${report.accepted} messages dated ${report.from} .. ${report.to} (${report.remaining} left)\n`,
      );
    return 0;
  });
}

export function data(argv: string[], configInput: ConfigInput): Promise<number> {
  const config = configSource(configInput);
  return dispatch('data', argv, DATA_HELP, {
    import: { summary: 'import labelled JSONL', run: (a) => importFile(a, config) },
    'next-batch': { summary: 'release the next batch of the demo feed', run: (a) => nextBatch(a, config) },
  });
}
