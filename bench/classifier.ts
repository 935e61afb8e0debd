/**
 * The classifier against its peers, side by side in one run, on the SpamAssassin split (every
 * fifth message held out) with default options: featurize time, train time, epochs and train time
 * per epoch (wall and CPU: the machine may be shared), accuracy, macro-F1, and hashing throughput,
 * with ratios. Nightshift trains as fitClassifier does (trainSoftmax on the featurized rows, default
 * options), timed apart from featurizing. Peers run when present:
 * scikit-learn (python3 -m sklearn) and LIBLINEAR (`liblinear-train -s 0`, on Nightshift's own
 * hashed features). Nightshift and scikit-learn run `repeats` times, interleaved, and their times
 * are medians (the machine is shared); LIBLINEAR runs once. Defaults on both sides, and
 * Nightshift's were chosen on these held-out rows: the tuned comparison is the suite's
 * (bench/run-suite.ts). Hashing throughput is measured twice: at Nightshift's defaults (a token
 * longer than maxTokenLength, 40, is skipped without being hashed, while the peer hashes every
 * token) and with Nightshift hashing every token too (maxTokenLength unbounded): equal work.
 * Hashing is timed in CPU seconds of the hashing process (best of HASH_RUNS).
 *
 *   npm run bench -- classifier [--out FILE]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spamAssassinSplit } from '../data/spam-assassin.ts';
import { evaluateClassifier } from '../ml/classifier.ts';
import { HashingVectorizer, resolveCharNgrams, resolveFeaturizerOptions } from '../ml/hashing-vectorizer.ts';
import { encodeTrainingLabels } from '../ml/labelled-data.ts';
import { classificationMetrics } from '../ml/metrics.ts';
import type { LinearModel } from '../ml/softmax-regression.ts';
import { trainSoftmax } from '../ml/train.ts';
import { onPath } from '../stack/temporal-cli.ts';
import { resultsHeader, runStart } from './results-header.ts';
import { findPeerPython } from './suite/python-peers.ts';
import type { CsrMatrix } from '../ml/sparse.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'out');

export interface PeerResult {
  name: string;
  accuracy: number;
  macroF1: number;
  featurizeSeconds: number;
  trainSeconds: number;
  /** CPU time of training (user + system, the whole process), where measured. */
  trainCpuSeconds?: number;
  /** Passes over the training rows (Nightshift's epochs, SGDClassifier's n_iter_); absent for LIBLINEAR. */
  epochs?: number;
  hashSeconds?: number;
  /** Nightshift only: hashing every token, however long (maxTokenLength unbounded), as the peer does. */
  hashEveryTokenSeconds?: number;
  /** Nightshift only: how many texts the hashing figures cover. */
  hashedTexts?: number;
  /** Runs the times are medians of. */
  repeats: number;
}

/** A maxTokenLength no token reaches: every token is hashed, as scikit-learn's HashingVectorizer does. */
const EVERY_TOKEN = 1_000_000_000;

/** Hashing runs per side; the best (least CPU time) is reported. */
const HASH_RUNS = 5;

export const CLASSIFIER_USAGE = 'npm run bench -- classifier [--out FILE]';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function libsvm(x: CsrMatrix, labels: string[]): string {
  const lines: string[] = [];
  for (let r = 0; r < x.rows; r++) {
    const parts = [labels[r] === 'spam' ? '+1' : '-1'];
    for (let p = x.indptr[r]; p < x.indptr[r + 1]; p++) parts.push(`${x.indices[p] + 1}:${x.values[p]}`);
    lines.push(parts.join(' '));
  }
  return lines.join('\n') + '\n';
}

const has = (cmd: string): boolean => onPath(cmd) !== null;

export async function benchClassifier(repeats = 3): Promise<PeerResult[]> {
  mkdirSync(out, { recursive: true });
  const { train, test } = spamAssassinSplit();
  const results: PeerResult[] = [];

  const trainFile = path.join(out, 'spam-train.jsonl');
  const testFile = path.join(out, 'spam-test.jsonl');
  writeFileSync(trainFile, train.map((m) => JSON.stringify({ text: m.text, label: m.label })).join('\n') + '\n');
  writeFileSync(testFile, test.map((m) => JSON.stringify({ text: m.text, label: m.label })).join('\n') + '\n');
  const python = findPeerPython(out);
  interface SklearnRun {
    accuracy: number;
    macro_f1: number;
    featurize_s: number;
    train_s: number;
    train_cpu_s: number;
    epochs: number;
    hash_s: number;
  }
  const sklearnRuns: SklearnRun[] = [];
  let sklearnError: string | null = python ? null : 'no python with scikit-learn';

  // Nightshift: featurize train + test (as the peers do), train with defaults; scikit-learn after each run.
  const featurizer = resolveCharNgrams(
    resolveFeaturizerOptions(),
    train.map((m) => m.text),
  );
  const featurizeRuns: number[] = [];
  const trainRuns: number[] = [];
  const trainCpuRuns: number[] = [];
  const { labels, y } = encodeTrainingLabels(train);
  let xTrain: CsrMatrix | null = null;
  let xTest: CsrMatrix | null = null;
  let model: LinearModel | null = null;
  let epochs = 0;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const vectorizer = new HashingVectorizer(featurizer);
    xTrain = vectorizer.fitTransform(train.map((m) => m.text));
    xTest = vectorizer.transform(test.map((m) => m.text));
    featurizeRuns.push((performance.now() - t0) / 1000);
    // As fitClassifier trains (default options), timed alone: wall and CPU time.
    const t1 = performance.now();
    const cpu = process.cpuUsage();
    const trained = await trainSoftmax({ x: xTrain, y, labels, featurizer });
    const used = process.cpuUsage(cpu);
    trainRuns.push((performance.now() - t1) / 1000);
    trainCpuRuns.push((used.user + used.system) / 1e6);
    model = vectorizer.idf ? { ...trained.model, idf: vectorizer.idf } : trained.model;
    epochs = trained.state.epoch;
    if (python && sklearnError === null) {
      const sk = spawnSync(python, [path.join(here, 'peers', 'sklearn-peer.py'), trainFile, testFile, String(HASH_RUNS)], {
        encoding: 'utf8',
      });
      if (sk.status === 0) sklearnRuns.push(JSON.parse(sk.stdout) as SklearnRun);
      else sklearnError = sk.stderr.split('\n').filter(Boolean).pop() ?? `exit ${sk.status}`;
    }
  }
  const evaluation = evaluateClassifier(model!, test);
  const allTexts = [...train, ...test].map((m) => m.text);
  const everyToken = { ...featurizer, maxTokenLength: EVERY_TOKEN };
  let hashBest = Infinity;
  let hashEveryBest = Infinity;
  // CPU time of this process (hashing is single-threaded): on a shared machine, wall time measures the neighbours.
  const cpuSeconds = (fn: () => void): number => {
    const before = process.cpuUsage();
    fn();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1e6;
  };
  for (let i = 0; i < HASH_RUNS; i++) {
    hashBest = Math.min(
      hashBest,
      cpuSeconds(() => new HashingVectorizer(featurizer).fitTransform(allTexts)),
    );
    hashEveryBest = Math.min(
      hashEveryBest,
      cpuSeconds(() => new HashingVectorizer(everyToken).fitTransform(allTexts)),
    );
  }
  results.push({
    name: 'nightshift',
    accuracy: evaluation.metrics.accuracy,
    macroF1: evaluation.metrics.macro.f1,
    featurizeSeconds: median(featurizeRuns),
    trainSeconds: median(trainRuns),
    trainCpuSeconds: median(trainCpuRuns),
    epochs,
    hashSeconds: hashBest,
    hashEveryTokenSeconds: hashEveryBest,
    hashedTexts: allTexts.length,
    repeats,
  });

  if (sklearnRuns.length > 0) {
    const r = sklearnRuns[0];
    results.push({
      name: 'scikit-learn HashingVectorizer+SGDClassifier(log_loss)',
      accuracy: r.accuracy,
      macroF1: r.macro_f1,
      featurizeSeconds: median(sklearnRuns.map((s) => s.featurize_s)),
      trainSeconds: median(sklearnRuns.map((s) => s.train_s)),
      trainCpuSeconds: median(sklearnRuns.map((s) => s.train_cpu_s)),
      epochs: r.epochs,
      hashSeconds: Math.min(...sklearnRuns.map((s) => s.hash_s)),
      repeats: sklearnRuns.length,
    });
  } else {
    process.stderr.write(`scikit-learn peer skipped: ${sklearnError ?? 'no run'}\n`);
  }
  const featurizeSeconds = median(featurizeRuns);

  if (has('liblinear-train') && has('liblinear-predict')) {
    const trainSvm = path.join(out, 'spam-train.svm');
    const testSvm = path.join(out, 'spam-test.svm');
    writeFileSync(
      trainSvm,
      libsvm(
        xTrain!,
        train.map((m) => m.label),
      ),
    );
    writeFileSync(
      testSvm,
      libsvm(
        xTest!,
        test.map((m) => m.label),
      ),
    );
    const modelFile = path.join(out, 'spam.liblinear');
    const predFile = path.join(out, 'spam.liblinear.pred');
    const s = performance.now();
    execFileSync('liblinear-train', ['-s', '0', '-q', trainSvm, modelFile]);
    const trainSeconds = (performance.now() - s) / 1000;
    execFileSync('liblinear-predict', [testSvm, modelFile, predFile]);
    const predicted = readFileSync(predFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (l.trim() === '1' ? 1 : 0));
    const truth = test.map((m) => (m.label === 'spam' ? 1 : 0));
    const m = classificationMetrics(truth, predicted, ['ham', 'spam']);
    results.push({
      name: 'LIBLINEAR -s 0 (same hashed features)',
      accuracy: m.accuracy,
      macroF1: m.macro.f1,
      featurizeSeconds,
      trainSeconds,
      repeats: 1,
    });
  } else {
    process.stderr.write('LIBLINEAR peer skipped: liblinear-train not installed (Debian: liblinear-tools)\n');
  }
  return results;
}

export function printClassifierReport(results: PeerResult[], header: string[] = []): string {
  const ns = results[0];
  const perEpoch = (r: PeerResult): number | null => (r.epochs ? r.trainSeconds / r.epochs : null);
  const cpuPerEpoch = (r: PeerResult): number | null => (r.epochs && r.trainCpuSeconds !== undefined ? r.trainCpuSeconds / r.epochs : null);
  const ms = (s: number | null): string => (s === null ? '-' : (1000 * s).toFixed(1));
  const lines = [
    'Classifier on SpamAssassin (every 5th message held out), default options, measured side by side',
    `(times: medians of ${ns.repeats} runs, Nightshift and scikit-learn interleaved; ms/epoch = train time / epochs, wall and CPU):`,
    ...header,
    "  Defaults on every side; Nightshift's were chosen on these held-out rows, so its accuracy here is not a clean",
    "  comparison; read the suite's tables for that (npm run bench -- suite: settings chosen on a validation split).",
    `  ${'system'.padEnd(58)} ${'accuracy'.padStart(9)} ${'macro-F1'.padStart(9)} ${'featurize s'.padStart(12)} ${'train s'.padStart(9)} ${'feat+train'.padStart(11)} ${'epochs'.padStart(7)} ${'ms/epoch'.padStart(9)} ${'cpu ms/epoch'.padStart(13)}`,
  ];
  for (const r of results) {
    lines.push(
      `  ${r.name.padEnd(58)} ${r.accuracy.toFixed(4).padStart(9)} ${r.macroF1.toFixed(4).padStart(9)} ${r.featurizeSeconds.toFixed(3).padStart(12)} ${r.trainSeconds.toFixed(3).padStart(9)} ${(r.featurizeSeconds + r.trainSeconds).toFixed(3).padStart(11)} ${(r.epochs === undefined ? '-' : String(r.epochs)).padStart(7)} ${ms(perEpoch(r)).padStart(9)} ${ms(cpuPerEpoch(r)).padStart(13)}`,
    );
  }
  const sk = results.find((r) => r.name.startsWith('scikit-learn'));
  if (sk) {
    for (const [what, of] of [
      ['wall', perEpoch],
      ['CPU', cpuPerEpoch],
    ] as const) {
      const a = of(ns);
      const b = of(sk);
      if (a === null || b === null) continue;
      lines.push(
        `  ratio train time per epoch (${what}), nightshift (Adam) / SGDClassifier: ${(a / b).toFixed(2)} (goal <= 3; ${ms(a)} ms against ${ms(b)} ms)`,
      );
    }
    lines.push(
      `  ratio featurize+train time, nightshift / scikit-learn: ${((ns.featurizeSeconds + ns.trainSeconds) / (sk.featurizeSeconds + sk.trainSeconds)).toFixed(2)} (goal <= 1)`,
    );
    lines.push(
      `  hashing all ${ns.hashedTexts} messages, CPU seconds, best of ${HASH_RUNS}: nightshift ${ns.hashSeconds!.toFixed(3)} s at its defaults, ${ns.hashEveryTokenSeconds!.toFixed(3)} s hashing every token; HashingVectorizer ${sk.hashSeconds!.toFixed(3)} s`,
      `  ratio hashing throughput, nightshift / HashingVectorizer, equal work (every token hashed on both sides): ${(sk.hashSeconds! / ns.hashEveryTokenSeconds!).toFixed(2)}x (goal >= 2)`,
      `  ratio at nightshift's defaults: ${(sk.hashSeconds! / ns.hashSeconds!).toFixed(2)}x, not equal work: nightshift skips a token longer than its cap (maxTokenLength 40: base64 blobs, long URLs) without hashing it; the peer hashes every token`,
      '  (still different on both sides: the token rules, nightshift letters/marks/digits and scikit-learn \\w\\w+ with underscores; weighting log1p vs counts)',
    );
  }
  const best = results.slice(1).reduce<PeerResult | null>((b, r) => (b === null || r.accuracy > b.accuracy ? r : b), null);
  if (best)
    lines.push(
      `  accuracy nightshift - best peer: ${(ns.accuracy - best.accuracy).toFixed(4)}; macro-F1: ${(ns.macroF1 - Math.max(...results.slice(1).map((r) => r.macroF1))).toFixed(4)} (goal >= 0)`,
    );
  return lines.join('\n');
}

/** Entry for bench/run-all.ts: `npm run bench -- classifier [--out FILE]`. */
export async function runClassifierFromArgs(argv: string[]): Promise<string> {
  let outFile: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') return CLASSIFIER_USAGE;
    if (argv[i] === '--out' && argv[i + 1] !== undefined) outFile = argv[++i];
    else throw new Error(`unknown classifier option ${argv[i]}\n${CLASSIFIER_USAGE}`);
  }
  const start = runStart();
  const results = await benchClassifier();
  const text = printClassifierReport(results, resultsHeader(['npm run bench -- classifier', ...argv].join(' '), start));
  if (outFile) writeFileSync(outFile, text + '\n');
  return text;
}
