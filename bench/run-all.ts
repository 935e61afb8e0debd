/** `npm run bench`: every benchmark, peers side by side, figures printed (not asserted). */
import { benchClassifier, printClassifierReport } from './classifier.ts';
import { benchOrchestration, printOrchestrationReport } from './orchestration.ts';
import { benchServe, printServeReport } from './serve.ts';
import { runSuiteFromArgs } from './suite.ts';
import { benchUpdateVsFull, printUpdateVsFull } from './suite/update-vs-full.ts';

const only = process.argv[2];
if (!only || only === 'classifier') process.stdout.write(printClassifierReport(await benchClassifier()) + '\n\n');
if (!only || only === 'suite') process.stdout.write((await runSuiteFromArgs(process.argv.slice(3))) + '\n\n');
if (!only || only === 'update') process.stdout.write(printUpdateVsFull(await benchUpdateVsFull()) + '\n\n');
if (!only || only === 'serve') process.stdout.write(printServeReport(await benchServe()) + '\n\n');
if (!only || only === 'orchestration') process.stdout.write(printOrchestrationReport(await benchOrchestration()) + '\n');
process.exit(0);
