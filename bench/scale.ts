/**
 * `npm run bench -- scale [--sizes 50000,200000,1000000] [--no-train] [--epochs N]`: how cost
 * grows with history. For each size, a deterministic synthetic corpus recombined from SpamAssassin
 * (bench/scale-corpus.ts, seeded) is imported with the real `nightshift data import` (the compiled
 * CLI as a user runs it: `npm run build` first) into its own model, and its rows/s printed with the
 * ratios between sizes. Then, on a fresh worker process each: one full retraining of that model
 * (`nightshift retrain --wait`; streamed from the registry, counting every text once into the
 * feature store), and an update-mode run after 5,000 new rows arrive (`--mode update`): wall time
 * and the worker's peak RSS of each, the update's time as a share of the full one's, and the
 * ratios between sizes. Opt-in (long): not part of a bare `npm run bench`.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { writeCorpus } from './scale-corpus.ts';
import { peakRssMb, startBenchStack, type BenchStack } from './scale-stack.ts';
import { runCli } from '../test/support/cli.ts';
import type { ImportReport } from '../registry/import-examples.ts';
import type { RunResult } from '../workflows/definitions.ts';

const SEED = 15;
/** New rows before the update-mode run. */
const UPDATE_ROWS = 5_000;
/** Fetching and evaluating a million rows takes longer than the default minute a step. */
const STEP_TIMEOUT = '30m';

export interface RunFigures {
  seconds: number;
  peakRssMb: number | null;
  outcome: string;
  /** Rows the run trained on (full: the training split; update: new rows and the replay sample). */
  trainRows: number | null;
  /** Epochs trained, and their seconds (after the preparation pass). */
  epochs: number | null;
  trainSeconds: number | null;
}

export interface ScaleRow {
  size: number;
  corpusMb: number;
  importSeconds: number;
  rowsPerSecond: number;
  accepted: number;
  duplicates: number;
  train: RunFigures | null;
  update: RunFigures | null;
  trainSkipped: string | null;
}

export interface ScaleOptions {
  sizes: number[];
  train: boolean;
  epochs?: number;
}

export function parseScaleArgs(argv: string[]): ScaleOptions {
  const o: ScaleOptions = { sizes: [50_000, 200_000, 1_000_000], train: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sizes') o.sizes = argv[++i].split(',').map(Number);
    else if (argv[i] === '--no-train') o.train = false;
    else if (argv[i] === '--epochs') o.epochs = Number(argv[++i]);
    else throw new Error(`bench scale: unknown argument ${argv[i]} (--sizes A,B,C, --no-train, --epochs N)`);
  }
  if (o.sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new Error('bench scale: --sizes takes whole numbers');
  return o;
}

export async function benchScale(o: ScaleOptions): Promise<ScaleRow[]> {
  const stack = await startBenchStack('nightshift-scale');
  const rows: ScaleRow[] = [];
  try {
    for (const size of o.sizes) {
      const model = `scale-${size}`;
      const file = path.join(stack.home, `${model}.jsonl`);
      const corpus = await writeCorpus(file, size, SEED);
      process.stderr.write(`scale: ${size} rows (${(corpus.bytes / 1e6).toFixed(0)} MB) written; importing\n`);
      const imported = await runCli(
        ['data', 'import', '--model', model, '--create', '--file', file, '--json'],
        stack.env('scale'),
        3_600_000,
      );
      rmSync(file);
      if (imported.code !== 0) throw new Error(`import of ${size} rows failed: ${imported.stderr.slice(-500)}`);
      const report = JSON.parse(imported.stdout) as ImportReport;
      const row: ScaleRow = {
        size,
        corpusMb: corpus.bytes / 1e6,
        importSeconds: report.seconds,
        rowsPerSecond: report.rowsPerSecond,
        accepted: report.accepted,
        duplicates: report.duplicates,
        train: null,
        update: null,
        trainSkipped: null,
      };
      if (!o.train) row.trainSkipped = 'training not asked (--no-train)';
      else {
        row.train = await timedRun(stack, model, `scale-${size}-full`, o.epochs, []);
        const updateFile = path.join(stack.home, `${model}-new.jsonl`);
        await writeCorpus(updateFile, UPDATE_ROWS, SEED + size);
        const added = await runCli(['data', 'import', '--model', model, '--file', updateFile, '--json'], stack.env('scale'), 600_000);
        rmSync(updateFile);
        if (added.code !== 0) throw new Error(`import of ${UPDATE_ROWS} new rows failed: ${added.stderr.slice(-500)}`);
        row.update = await timedRun(stack, model, `scale-${size}-update`, o.epochs, ['--mode', 'update']);
      }
      rows.push(row);
    }
  } finally {
    await stack.stop();
  }
  return rows;
}

/** One retraining on a fresh worker process (its peak RSS is this run's alone). */
async function timedRun(stack: BenchStack, model: string, queue: string, epochs: number | undefined, extra: string[]): Promise<RunFigures> {
  const worker = await stack.startWorker(queue);
  process.stderr.write(`scale: retraining ${model} ${extra.join(' ')}\n`);
  const started = performance.now();
  const run = await runCli(
    [
      'retrain',
      '--model',
      model,
      '--wait',
      '--json',
      '--step-timeout',
      STEP_TIMEOUT,
      ...(epochs ? ['--epochs', String(epochs)] : []),
      ...extra,
    ],
    stack.env(queue),
    3_600_000,
  );
  const seconds = (performance.now() - started) / 1000;
  const rss = worker.child.pid ? peakRssMb(worker.child.pid) : null;
  worker.kill('SIGTERM');
  await worker.exited;
  if (run.code !== 0)
    return { seconds, peakRssMb: rss, outcome: `failed: ${run.stderr.slice(-300)}`, trainRows: null, epochs: null, trainSeconds: null };
  const result = JSON.parse(run.stdout) as RunResult;
  return {
    seconds,
    peakRssMb: rss,
    outcome: result.outcome,
    trainRows: result.training?.trainRows ?? null,
    epochs: result.training?.epochs ?? null,
    trainSeconds: result.training?.trainSeconds ?? null,
  };
}

export function printScaleReport(rows: ScaleRow[]): string {
  const lines = ['scale: import (real `nightshift data import`, COPY batches) and one full retraining per size'];
  for (const r of rows) {
    lines.push(
      `  ${String(r.size).padStart(9)} rows  ${r.corpusMb.toFixed(0).padStart(5)} MB  import ${r.importSeconds.toFixed(1).padStart(6)} s` +
        `  ${String(r.rowsPerSecond).padStart(7)} rows/s  (${r.accepted} accepted, ${r.duplicates} duplicates)`,
    );
    const run = (what: string, f: RunFigures) =>
      lines.push(
        `             ${what}: ${f.seconds.toFixed(1)} s wall, worker peak RSS ${f.peakRssMb?.toFixed(0) ?? '?'} MB, ` +
          `${f.trainRows ?? '?'} rows x ${f.epochs ?? '?'} epochs in ${f.trainSeconds?.toFixed(1) ?? '?'} s, ${f.outcome}`,
      );
    if (r.train) run('full retraining', r.train);
    else lines.push(`             retraining: ${r.trainSkipped}`);
    if (r.update) run(`update after ${UPDATE_ROWS} new rows`, r.update);
    if (r.train && r.update)
      lines.push(`             update / full time: ${(r.update.seconds / r.train.seconds).toFixed(3)} (goal at 1M: <= 0.2)`);
  }
  const base = rows[0];
  for (const r of rows.slice(1)) {
    const parts = [`rows x${(r.size / base.size).toFixed(1)}`, `import time x${(r.importSeconds / base.importSeconds).toFixed(2)}`];
    parts.push(`rows/s x${(r.rowsPerSecond / base.rowsPerSecond).toFixed(2)}`);
    if (r.train && base.train) {
      parts.push(`retraining time x${(r.train.seconds / base.train.seconds).toFixed(2)}`);
      if (r.train.peakRssMb && base.train.peakRssMb) parts.push(`peak RSS x${(r.train.peakRssMb / base.train.peakRssMb).toFixed(2)}`);
    }
    lines.push(`  ${r.size} vs ${base.size}: ${parts.join(', ')}`);
  }
  lines.push('  goals (issue 15): import >= 20000 rows/s; full retraining peak RSS at 1M <= 1.5x that at 50k; update <= 0.2x full at 1M');
  return lines.join('\n');
}
