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

const only = process.argv[2];
if (!only || only === 'classifier') process.stdout.write((await runClassifierFromArgs(only ? process.argv.slice(3) : [])) + '\n\n');
if (!only || only === 'suite') process.stdout.write((await runSuiteFromArgs(only ? process.argv.slice(3) : [])) + '\n\n');
if (!only || only === 'update') process.stdout.write(printUpdateVsFull(await benchUpdateVsFull()) + '\n\n');
if (!only || only === 'serve')
  process.stdout.write(
    (await runServeFromArgs(only ? process.argv.slice(3) : [], `npm run bench${only ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`)) +
      '\n\n',
  );
if (!only || only === 'orchestration') process.stdout.write(printOrchestrationReport(await benchOrchestration()) + '\n');
if (!only || only === 'cli-startup')
  process.stdout.write(
    (await runCliStartupFromArgs(
      only ? process.argv.slice(3) : [],
      `npm run bench${only ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    )) + '\n',
  );
// Long: run only when named (`npm run bench -- scale`, `-- scale-explain`, `-- fleet`).
if (only === 'scale') process.stdout.write(printScaleReport(await benchScale(parseScaleArgs(process.argv.slice(3)))) + '\n');
if (only === 'scale-explain') process.stdout.write((await benchScaleExplain(process.argv[3])) + '\n');
if (only === 'fleet') process.stdout.write(printFleetReport(await benchFleet(parseFleetArgs(process.argv.slice(3)))) + '\n');
process.exit(0);
