/**
 * The benchmark suite: on each labelled set of bench/suite/ (every fifth row held out), Nightshift
 * with default options against scikit-learn SGDClassifier(log_loss) and LogisticRegression on
 * HashingVectorizer(2^18) features and LIBLINEAR `-s 0` on the same features, side by side in one
 * run: accuracy, macro-F1, calibration (ECE, Brier), featurize and train seconds, and ratios.
 * Timings are medians of `--repeats` runs, Nightshift and the peers interleaved; LogisticRegression
 * (slow on many classes) runs in the first repeat only unless `--logreg-every-repeat`.
 *
 *   npm run bench -- suite [--sets a,b] [--repeats N] [--featurizer JSON] [--train JSON] [--no-peers] [--no-logreg]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitClassifier, predictTexts } from '../ml/classifier.ts';
import type { FeaturizerOptions } from '../ml/hashing-vectorizer.ts';
import { classificationMetrics } from '../ml/metrics.ts';
import type { TrainOptions } from '../ml/train-options.ts';
import { holdOutEveryFifth, type Split, type SuiteDataset } from './suite/dataset.ts';
import { SUITE_DATASETS } from './suite/datasets.ts';
import { findPeerPython, runPythonPeers, type PeerScores } from './suite/python-peers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'out');

export interface SuiteOptions {
  /** Names of the sets to run. Default all. */
  sets: string[] | null;
  /** Timed repeats per set (median reported). Default 3. */
  repeats: number;
  /** Overrides of Nightshift's default featurizer options (for trying candidates). Default none. */
  featurizer: Partial<FeaturizerOptions>;
  /** Overrides of Nightshift's default training options. Default none. */
  train: Partial<TrainOptions>;
  /** Run the peers. Default true. */
  peers: boolean;
  /** Run LogisticRegression in every repeat rather than the first only. Default false. */
  logRegEveryRepeat: boolean;
  /** Run LogisticRegression at all (minutes on the many-class sets). Default true. */
  logReg: boolean;
}

export interface SetResult {
  dataset: SuiteDataset;
  rows: { train: number; test: number; classes: number };
  results: PeerScores[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Nightshift on one split: fit (featurize + train), then featurize and predict the test rows. */
export async function runNightshift(
  split: Split,
  featurizer: Partial<FeaturizerOptions> = {},
  train: Partial<TrainOptions> = {},
): Promise<PeerScores> {
  const fit = await fitClassifier(split.train, { featurizer, train });
  const t = performance.now();
  const predictions = predictTexts(
    fit.model,
    split.test.map((r) => r.text),
  );
  const testSeconds = (performance.now() - t) / 1000;
  const labels = fit.model.labels;
  const index = new Map(labels.map((l, i) => [l, i]));
  const names = [...labels];
  const yTrue = split.test.map((r) => {
    let i = index.get(r.label);
    if (i === undefined) {
      i = names.length;
      names.push(r.label);
      index.set(r.label, i);
    }
    return i;
  });
  const yPred = predictions.map((p) => index.get(p.label)!);
  const proba = new Float64Array(predictions.length * labels.length);
  predictions.forEach((p, i) => proba.set(p.probabilities, i * labels.length));
  const m = classificationMetrics(yTrue, yPred, names, { values: proba, labels });
  return {
    name: 'nightshift (defaults)',
    accuracy: m.accuracy,
    macroF1: m.macro.f1,
    // Test rows featurized as the peers do; prediction itself is a small part of it.
    featurizeSeconds: fit.featurizeSeconds + testSeconds,
    trainSeconds: fit.trainSeconds,
    ece: m.ece ?? NaN,
    brier: m.brier ?? NaN,
    epochs: fit.state.epoch,
  };
}

export async function benchSuite(options: Partial<SuiteOptions> = {}): Promise<SetResult[]> {
  const o: SuiteOptions = {
    sets: null,
    repeats: 3,
    featurizer: {},
    train: {},
    peers: true,
    logRegEveryRepeat: false,
    logReg: true,
    ...options,
  };
  mkdirSync(out, { recursive: true });
  const python = o.peers ? findPeerPython(out) : null;
  const script = path.join(here, 'peers', 'suite-peers.py');
  const results: SetResult[] = [];
  for (const dataset of SUITE_DATASETS) {
    if (o.sets && !o.sets.includes(dataset.name)) continue;
    let rows;
    try {
      rows = dataset.load();
    } catch (err) {
      process.stderr.write(`${dataset.name} skipped: ${(err as Error).message}\n`);
      continue;
    }
    const split = holdOutEveryFifth(rows);
    const trainFile = path.join(out, `suite-${dataset.name}-train.jsonl`);
    const testFile = path.join(out, `suite-${dataset.name}-test.jsonl`);
    if (python) {
      writeFileSync(trainFile, split.train.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n');
      writeFileSync(testFile, split.test.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n');
    }
    const runs = new Map<string, PeerScores[]>();
    const keep = (r: PeerScores): void => void runs.set(r.name, [...(runs.get(r.name) ?? []), r]);
    for (let rep = 0; rep < o.repeats; rep++) {
      keep(await runNightshift(split, o.featurizer, o.train));
      if (python)
        for (const r of runPythonPeers(python, script, trainFile, testFile, o.logReg && (rep === 0 || o.logRegEveryRepeat))) keep(r);
    }
    // Quality is deterministic; time is the median over repeats.
    const merged = [...runs.values()].map((rs) => ({
      ...rs[0],
      featurizeSeconds: median(rs.map((r) => r.featurizeSeconds)),
      trainSeconds: median(rs.map((r) => r.trainSeconds)),
    }));
    results.push({
      dataset,
      rows: { train: split.train.length, test: split.test.length, classes: new Set(rows.map((r) => r.label)).size },
      results: merged,
    });
    process.stderr.write(`${dataset.name} done\n`);
  }
  return results;
}

export function printSuiteReport(sets: SetResult[]): string {
  const f = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const lines = [
    'Benchmark suite (every fifth row held out), Nightshift defaults vs peers, measured side by side (times: median of repeats):',
  ];
  for (const s of sets) {
    lines.push('');
    lines.push(`${s.dataset.name}: ${s.rows.train} train / ${s.rows.test} test rows, ${s.rows.classes} classes — ${s.dataset.source}`);
    lines.push(
      `  ${'system'.padEnd(38)} ${'accuracy'.padStart(8)} ${'macro-F1'.padStart(8)} ${'ECE'.padStart(7)} ${'Brier'.padStart(7)} ${'feat s'.padStart(8)} ${'train s'.padStart(8)} ${'f+t s'.padStart(8)} ${'ns/peer f+t'.padStart(11)}`,
    );
    const ns = s.results[0];
    const nsTime = ns.featurizeSeconds + ns.trainSeconds;
    for (const r of s.results) {
      const t = r.featurizeSeconds + r.trainSeconds;
      lines.push(
        `  ${r.name.padEnd(38)} ${f(r.accuracy).padStart(8)} ${f(r.macroF1).padStart(8)} ${f(r.ece, 3).padStart(7)} ${f(r.brier, 3).padStart(7)} ${f(r.featurizeSeconds, 3).padStart(8)} ${f(r.trainSeconds, 3).padStart(8)} ${f(t, 3).padStart(8)} ${(r === ns ? '' : f(nsTime / t, 2)).padStart(11)}`,
      );
    }
    const peers = s.results.slice(1);
    if (peers.length > 0) {
      const bestAcc = Math.max(...peers.map((r) => r.accuracy));
      const bestF1 = Math.max(...peers.map((r) => r.macroF1));
      lines.push(
        `  nightshift - best peer: accuracy ${(ns.accuracy - bestAcc >= 0 ? '+' : '') + f(ns.accuracy - bestAcc)}, macro-F1 ${(ns.macroF1 - bestF1 >= 0 ? '+' : '') + f(ns.macroF1 - bestF1)} (goal >= 0)`,
      );
    }
  }
  return lines.join('\n');
}

function parseArgs(argv: string[]): Partial<SuiteOptions> {
  const o: Partial<SuiteOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sets') o.sets = argv[++i].split(',');
    else if (a === '--repeats') o.repeats = Number(argv[++i]);
    else if (a === '--featurizer') o.featurizer = JSON.parse(argv[++i]) as Partial<FeaturizerOptions>;
    else if (a === '--train') o.train = JSON.parse(argv[++i]) as Partial<TrainOptions>;
    else if (a === '--no-peers') o.peers = false;
    else if (a === '--logreg-every-repeat') o.logRegEveryRepeat = true;
    else if (a === '--no-logreg') o.logReg = false;
    else throw new Error(`unknown suite option ${a}`);
  }
  return o;
}

/** Entry for bench/run-all.ts: `npm run bench -- suite [options]`. */
export async function runSuiteFromArgs(argv: string[]): Promise<string> {
  return printSuiteReport(await benchSuite(parseArgs(argv)));
}
