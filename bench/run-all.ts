/** `npm run bench`: every benchmark, peers side by side, figures printed (not asserted). */
import { runClassifierFromArgs } from './classifier.ts';
import { benchOrchestration, printOrchestrationReport } from './orchestration.ts';
import { runServeFromArgs } from './serve.ts';
import { runSuiteFromArgs } from './run-suite.ts';
import { benchUpdateVsFull, printUpdateVsFull } from './suite/update-vs-full.ts';
import { benchScale, parseScaleArgs, printScaleReport } from './scale.ts';
import { benchScaleExplain } from './scale-explain.ts';
import { benchFleet, parseFleetArgs, printFleetReport } from './fleet.ts';
import { runCliStartupFromArgs } from './cli-startup.ts';
import { writeFileSync } from 'node:fs';
import { resultsHeader, runStart } from './results-header.ts';

const only = process.argv[2];

/**
 * Runs a bench whose own options do not include --out: `--out FILE` is taken off its arguments,
 * and the report is written there too, under a results header (machine, date, commit, command,
 * load average), so bench/README.md can quote it.
 */
async function recorded(argv: string[], run: (args: string[]) => Promise<string>): Promise<string> {
  const at = argv.indexOf('--out');
  const outFile = at >= 0 ? argv[at + 1] : undefined;
  if (at >= 0 && outFile === undefined) throw new Error('--out needs a FILE');
  const args = at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 2)] : argv;
  const start = runStart();
  const text = await run(args);
  if (outFile) {
    const header = resultsHeader(['npm run bench --', ...process.argv.slice(2)].join(' '), start);
    writeFileSync(outFile, [`${only} bench`, ...header, '', text].join('\n') + '\n');
  }
  return text;
}
const rest = (): string[] => (only ? process.argv.slice(3) : []);
if (!only || only === 'classifier') process.stdout.write((await runClassifierFromArgs(only ? process.argv.slice(3) : [])) + '\n\n');
if (!only || only === 'suite') process.stdout.write((await runSuiteFromArgs(only ? process.argv.slice(3) : [])) + '\n\n');
if (!only || only === 'update')
  process.stdout.write((await recorded(rest(), async () => printUpdateVsFull(await benchUpdateVsFull()))) + '\n\n');
if (!only || only === 'serve')
  process.stdout.write(
    (await runServeFromArgs(only ? process.argv.slice(3) : [], `npm run bench${only ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`)) +
      '\n\n',
  );
if (!only || only === 'orchestration')
  process.stdout.write((await recorded(rest(), async () => printOrchestrationReport(await benchOrchestration()))) + '\n');
if (!only || only === 'cli-startup')
  process.stdout.write(
    (await runCliStartupFromArgs(
      only ? process.argv.slice(3) : [],
      `npm run bench${only ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    )) + '\n',
  );
// Long: run only when named (`npm run bench -- scale`, `-- scale-explain`, `-- fleet`).
if (only === 'scale')
  process.stdout.write((await recorded(rest(), async (a) => printScaleReport(await benchScale(parseScaleArgs(a))))) + '\n');
if (only === 'scale-explain') process.stdout.write((await recorded(rest(), async (a) => benchScaleExplain(a[0]))) + '\n');
if (only === 'fleet')
  process.stdout.write((await recorded(rest(), async (a) => printFleetReport(await benchFleet(parseFleetArgs(a))))) + '\n');
process.exit(0);
