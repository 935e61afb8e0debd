/**
 * `npm run bench -- scale [--sizes 50000,200000,1000000] [--no-train] [--epochs N]`: how cost
 * grows with history. For each size, a deterministic synthetic corpus recombined from SpamAssassin
 * (bench/scale-corpus.ts, seeded) is imported with the real `nightshift data import` (the compiled
 * CLI as a user runs it: `npm run build` first) into its own model, and its rows/s printed with the
 * ratios between sizes. For 50k and 200k, one full retraining of that model (`nightshift retrain
 * --wait`) on a fresh worker process: wall time and the worker's peak RSS. Not for 1M: training
 * still loads a model's whole history into the worker's memory (issue 15's streaming training is
 * not built yet), so a 1M run measures that limit, not Nightshift at scale. Opt-in (long): not part
 * of a bare `npm run bench`.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { writeCorpus } from './scale-corpus.ts';
import { peakRssMb, startBenchStack } from './scale-stack.ts';
import { runCli } from '../test/support/cli.ts';
import type { ImportReport } from '../activities/data/import-examples.ts';
import type { RunResult } from '../workflows/definitions.ts';

const TRAIN_MAX_ROWS = 200_000;
const SEED = 15;

export interface ScaleRow {
  size: number;
  corpusMb: number;
  importSeconds: number;
  rowsPerSecond: number;
  accepted: number;
  duplicates: number;
  train: { seconds: number; peakRssMb: number | null; outcome: string } | null;
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
        trainSkipped: null,
      };
      if (!o.train) row.trainSkipped = 'training not asked (--no-train)';
      else if (size > TRAIN_MAX_ROWS)
        row.trainSkipped = `skipped above ${TRAIN_MAX_ROWS} rows: training loads the whole history into the worker (streaming training is not built yet)`;
      else {
        // A fresh worker per size, so its peak RSS is this run's alone.
        const queue = `scale-${size}`;
        const worker = await stack.startWorker(queue);
        process.stderr.write(`scale: retraining ${model}\n`);
        const started = performance.now();
        const run = await runCli(
          ['retrain', '--model', model, '--wait', '--json', ...(o.epochs ? ['--epochs', String(o.epochs)] : [])],
          stack.env(queue),
          3_600_000,
        );
        const seconds = (performance.now() - started) / 1000;
        const rss = worker.child.pid ? peakRssMb(worker.child.pid) : null;
        worker.kill('SIGTERM');
        await worker.exited;
        const outcome = run.code === 0 ? (JSON.parse(run.stdout) as RunResult).outcome : `failed: ${run.stderr.slice(-300)}`;
        row.train = { seconds, peakRssMb: rss, outcome };
      }
      rows.push(row);
    }
  } finally {
    await stack.stop();
  }
  return rows;
}

export function printScaleReport(rows: ScaleRow[]): string {
  const lines = ['scale: import (real `nightshift data import`, COPY batches) and one full retraining per size'];
  for (const r of rows) {
    lines.push(
      `  ${String(r.size).padStart(9)} rows  ${r.corpusMb.toFixed(0).padStart(5)} MB  import ${r.importSeconds.toFixed(1).padStart(6)} s` +
        `  ${String(r.rowsPerSecond).padStart(7)} rows/s  (${r.accepted} accepted, ${r.duplicates} duplicates)`,
    );
    if (r.train)
      lines.push(
        `             retraining: ${r.train.seconds.toFixed(1)} s wall, worker peak RSS ${r.train.peakRssMb?.toFixed(0) ?? '?'} MB, ${r.train.outcome}`,
      );
    else lines.push(`             retraining: ${r.trainSkipped}`);
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
  lines.push('  goal: import >= 20000 rows/s (issue 15)');
  return lines.join('\n');
}
