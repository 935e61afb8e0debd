import { readFileSync } from 'node:fs';
import type { Config } from '../../stack/config.ts';
import { openRegistry } from '../../stack/stack.ts';
import { log, printJson } from '../output.ts';
import { parse, UsageError } from './args.ts';
import { parseJsonl } from '../../activities/data/jsonl.ts';
import { importExamples } from '../../activities/data/import-examples.ts';
import { releaseNextBatch, DEMO_MODEL } from '../../activities/data/spam-demo.ts';
import { checkModelName } from '../../activities/registry/models.ts';

export const DATA_HELP = `Usage: nightshift data import --model NAME --file F.jsonl [--json]
       nightshift data next-batch [--model NAME] [--json]

import:      loads labelled JSONL ({"text": ..., "label": ...} a line; optional "id", "ts"; other
             fields kept as metadata). Reports rows accepted, duplicates (same text already stored)
             and each rejected line with its reason; a bad line never stops the good ones.
next-batch:  releases the next batch of the SpamAssassin demo feed (ordered by Date header: the
             first batch is the older 3000 messages, each later one the next 500), so the next
             run sees newer mail arriving. Model defaults to spam.`;

export async function data(argv: string[], config: Config): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, { model: { type: 'string' }, file: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help || sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(DATA_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'import') {
    if (!values.model) throw new UsageError('data import needs --model NAME');
    if (!values.file) throw new UsageError('data import needs --file F.jsonl');
    checkModelName(values.model);
    let bytes: Buffer;
    try {
      bytes = readFileSync(values.file);
    } catch (err) {
      throw new Error(`cannot read ${values.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const parsed = parseJsonl(bytes);
    const registry = await openRegistry(config);
    try {
      const report = await importExamples(registry.db, values.model, `file:${values.file}`, parsed.rows, parsed.rejected);
      if (values.json) printJson(report);
      else {
        process.stdout.write(
          `${report.model}: ${report.accepted} accepted, ${report.duplicates} duplicates, ${report.rejected.length} rejected\n`,
        );
        for (const r of report.rejected.slice(0, 50)) process.stdout.write(`  line ${r.line}: ${r.reason}\n`);
        if (report.rejected.length > 50)
          process.stdout.write(`  ... ${report.rejected.length - 50} more rejected lines (use --json for all)\n`);
      }
      return 0;
    } finally {
      await registry.close();
    }
  }
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
