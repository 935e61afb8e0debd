/**
 * The benchmark suite: Nightshift's text classifier against scikit-learn, LIBLINEAR and fastText on
 * the labelled sets of bench/suite/, each system's settings chosen without looking at the rows it
 * is scored on.
 *
 * Every fifth row of a set is held out (the test rows). Every fifth of the remaining training rows
 * is the validation split; the other four fifths are the fit rows. Each system fits every setting
 * of a small grid on the fit rows and is scored on the validation rows; the setting with the best
 * validation macro-F1 (ties: accuracy, then the earlier grid point) is refitted on all training
 * rows and scored once on the held-out rows. Nightshift's grid is its learning rate x L2 penalty
 * (its defaults one point of it, early stopping as by default); the peers' grids are in
 * bench/peers/suite-peers.py (LogisticRegression only on two-class sets unless --logreg-max-classes). Two tables per set: every system on its own default features, and
 * scikit-learn and LIBLINEAR on Nightshift's own hashed features (the same matrix, exported as
 * LIBSVM files). Times are those of the final fits: medians of `--repeats` runs, Nightshift and the
 * peers interleaved; LogisticRegression (slow on many classes) refits in the first repeat only
 * unless `--logreg-every-repeat`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitClassifier, predictTexts } from '../ml/classifier.ts';
import { HashingVectorizer, resolveCharNgrams, resolveFeaturizerOptions, type FeaturizerOptions } from '../ml/hashing-vectorizer.ts';
import type { LabelledText } from '../ml/labelled-data.ts';
import { classificationMetrics } from '../ml/metrics.ts';
import type { CsrMatrix } from '../ml/sparse.ts';
import { defaultTrainOptions, type TrainOptions } from '../ml/train-options.ts';
import { resultsHeader, runStart } from './results-header.ts';
import { holdOutEveryFifth, type Split, type SuiteDataset } from './suite/dataset.ts';
import { SUITE_DATASETS } from './suite/datasets.ts';
import { finalPeers, findPeerPython, searchPeers, type GridRow, type PeerScores, type SystemSearch } from './suite/python-peers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'out');

export const SUITE_USAGE = `npm run bench -- suite [--sets a,b] [--repeats N] [--featurizer JSON] [--train JSON]
                        [--no-peers] [--no-logreg] [--logreg-max-classes N]
                        [--logreg-every-repeat] [--out FILE]
  --sets a,b             only these sets (${SUITE_DATASETS.map((d) => d.name).join(', ')})
  --repeats N            timed final fits per system (median reported; default 3)
  --featurizer JSON      Nightshift featurizer options under every grid point (default: its defaults)
  --train JSON           Nightshift training options under every grid point (the grid's keys win)
  --no-peers             Nightshift only
  --no-logreg            no scikit-learn LogisticRegression at all
  --logreg-max-classes N LogisticRegression only on sets of at most N classes (default 2: minutes a fit on the others)
  --logreg-every-repeat  refit LogisticRegression in every repeat, not the first only
  --out FILE             also write the report (with machine, date, commit and command) to FILE`;

/** Nightshift's search: learning rate x L2 penalty; every other option as its defaults (or --train). */
export const NIGHTSHIFT_GRID: readonly Partial<TrainOptions>[] = [0.02, 0.05, 0.1].flatMap((learningRate) =>
  [1e-7, 1e-6, 1e-5].map((l2) => ({ learningRate, l2 })),
);

export interface SuiteOptions {
  /** Names of the sets to run. Default all. */
  sets: string[] | null;
  /** Timed final fits per system (median reported). Default 3. */
  repeats: number;
  /** Overrides of Nightshift's default featurizer options. Default none. */
  featurizer: Partial<FeaturizerOptions>;
  /** Overrides of Nightshift's default training options, under every grid point. Default none. */
  train: Partial<TrainOptions>;
  /** Run the peers. Default true. */
  peers: boolean;
  /** Refit LogisticRegression in every repeat rather than the first only. Default false. */
  logRegEveryRepeat: boolean;
  /** Run LogisticRegression at all. Default true. */
  logReg: boolean;
  /**
   * Run LogisticRegression only on sets with at most this many classes. Default 2: its lbfgs fit
   * took 230-260 s once on the 40- and 45-class sets here, so its search there (4 values of C on two
   * kinds of features, then the refits) would take hours on the 2-core machine; LIBLINEAR -s 0 (the
   * same L2-regularised logistic loss, one-vs-rest) is searched there instead.
   */
  logRegMaxClasses: number;
  /** Also write the report here. Default none. */
  out: string | null;
}

export interface SetResult {
  dataset: SuiteDataset;
  rows: { fit: number; validation: number; train: number; test: number; classes: number };
  /** Nightshift's settled featurizer for this set (character n-grams on or off). */
  featurizer: FeaturizerOptions;
  searches: SystemSearch[];
  results: PeerScores[];
  skipped: string[];
}

const NIGHTSHIFT = 'nightshift';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Nightshift fitted on split.train and scored on split.test. */
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
    key: `own|${NIGHTSHIFT}`,
    name: NIGHTSHIFT,
    features: 'own',
    params: { learningRate: train.learningRate ?? defaultTrainOptions.learningRate, l2: train.l2 ?? defaultTrainOptions.l2 },
    accuracy: m.accuracy,
    macroF1: m.macro.f1,
    // Test rows featurized as the peers do; prediction itself is a small part of it.
    featurizeSeconds: fit.featurizeSeconds + testSeconds,
    trainSeconds: fit.trainSeconds,
    ece: m.ece ?? NaN,
    brier: m.brier ?? NaN,
    warnings: 0,
    epochs: fit.state.epoch,
  };
}

/** Nightshift's grid on the validation split: fit on `fit`, score on `validation`. */
export async function searchNightshift(
  inner: Split,
  featurizer: Partial<FeaturizerOptions>,
  train: Partial<TrainOptions>,
): Promise<SystemSearch> {
  const grid: GridRow[] = [];
  for (const point of NIGHTSHIFT_GRID) {
    const t = performance.now();
    const r = await runNightshift(inner, featurizer, { ...train, ...point });
    grid.push({
      params: { learningRate: point.learningRate!, l2: point.l2! },
      accuracy: r.accuracy,
      macroF1: r.macroF1,
      seconds: (performance.now() - t) / 1000,
      epochs: r.epochs,
    });
  }
  let best: GridRow | null = null;
  for (const g of grid)
    if (best === null || g.macroF1! > best.macroF1! || (g.macroF1 === best.macroF1 && g.accuracy! > best.accuracy!)) best = g;
  return { key: `own|${NIGHTSHIFT}`, name: NIGHTSHIFT, features: 'own', grid, chosen: best!.params };
}

const jsonl = (rows: readonly LabelledText[]): string =>
  rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n';

/** LIBSVM lines (1-based indices) of Nightshift's features, labels coded by their place in `labels`. */
function libsvm(x: CsrMatrix, rows: readonly LabelledText[], code: Map<string, number>): string {
  const lines: string[] = [];
  for (let r = 0; r < x.rows; r++) {
    const parts = [String(code.get(rows[r].label))];
    for (let p = x.indptr[r]; p < x.indptr[r + 1]; p++) parts.push(`${x.indices[p] + 1}:${x.values[p]}`);
    lines.push(parts.join(' '));
  }
  return lines.join('\n') + '\n';
}

/** Writes the split files suite-peers.py reads: texts as JSONL, Nightshift's features as LIBSVM. */
function writeSplitFiles(dir: string, inner: Split, split: Split, featurizer: FeaturizerOptions): void {
  mkdirSync(dir, { recursive: true });
  const labels = [...new Set([...split.train, ...split.test].map((r) => r.label))].sort();
  const code = new Map(labels.map((l, i) => [l, i]));
  writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(labels));
  for (const [a, b, s] of [['fit', 'val', inner] as const, ['train', 'test', split] as const]) {
    writeFileSync(path.join(dir, `${a}.jsonl`), jsonl(s.train));
    writeFileSync(path.join(dir, `${b}.jsonl`), jsonl(s.test));
    // As fitClassifier featurizes: IDF (when asked for) from the rows trained on.
    const vectorizer = new HashingVectorizer(featurizer);
    writeFileSync(path.join(dir, `${a}.svm`), libsvm(vectorizer.fitTransform(s.train.map((r) => r.text)), s.train, code));
    writeFileSync(path.join(dir, `${b}.svm`), libsvm(vectorizer.transform(s.test.map((r) => r.text)), s.test, code));
  }
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
    logRegMaxClasses: 2,
    out: null,
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
    const inner = holdOutEveryFifth(split.train);
    const featurizer = resolveCharNgrams(
      resolveFeaturizerOptions(o.featurizer),
      split.train.map((r) => r.text),
    );
    process.stderr.write(`${dataset.name}: searching nightshift\n`);
    const searches = [await searchNightshift(inner, o.featurizer, o.train)];
    const chosen = { ...o.train, ...(searches[0].chosen as Partial<TrainOptions>) };
    const dir = path.join(out, `suite-${dataset.name}`);
    const classes = new Set(rows.map((r) => r.label)).size;
    const logReg = o.logReg && classes <= o.logRegMaxClasses;
    const flags = { logisticRegression: logReg, fastTextCharNgrams: featurizer.charNgrams === 'on' };
    const skipped: string[] = [];
    if (o.logReg && !logReg)
      skipped.push(
        `scikit-learn LogisticRegression not run: ${classes} classes > --logreg-max-classes ${o.logRegMaxClasses} (minutes a fit here)`,
      );
    const chosenFile = path.join(dir, 'chosen.json');
    if (python) {
      writeSplitFiles(dir, inner, split, featurizer);
      process.stderr.write(`${dataset.name}: searching the peers\n`);
      const peers = searchPeers(python, script, dir, flags);
      skipped.push(...peers.skipped);
      searches.push(...peers.systems);
      writeFileSync(chosenFile, JSON.stringify(peers));
    }
    const runs = new Map<string, PeerScores[]>();
    const keep = (r: PeerScores): void => void runs.set(r.key, [...(runs.get(r.key) ?? []), r]);
    for (let rep = 0; rep < o.repeats; rep++) {
      keep(await runNightshift(split, o.featurizer, chosen));
      if (python) {
        const logisticRegression = logReg && (rep === 0 || o.logRegEveryRepeat);
        for (const r of finalPeers(python, script, dir, chosenFile, { ...flags, logisticRegression })) keep(r);
      }
    }
    // Quality is deterministic; time is the median over repeats.
    const merged = [...runs.values()].map((rs) => ({
      ...rs[0],
      featurizeSeconds: median(rs.map((r) => r.featurizeSeconds)),
      trainSeconds: median(rs.map((r) => r.trainSeconds)),
    }));
    results.push({
      dataset,
      rows: {
        fit: inner.train.length,
        validation: inner.test.length,
        train: split.train.length,
        test: split.test.length,
        classes,
      },
      featurizer,
      searches,
      results: merged,
      skipped,
    });
    process.stderr.write(`${dataset.name} done\n`);
  }
  return results;
}

const f = (x: number | undefined, d = 4): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '-');
const signed = (x: number): string => (x >= 0 ? '+' : '') + f(x);
const params = (p: Record<string, number | string> | null): string =>
  p === null
    ? 'none (every setting failed)'
    : Object.entries(p)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');

function table(title: string, rows: PeerScores[], ns: PeerScores | undefined): string[] {
  const lines = [
    `  ${title}`,
    `    ${'system'.padEnd(40)} ${'accuracy'.padStart(8)} ${'macro-F1'.padStart(8)} ${'ECE'.padStart(6)} ${'Brier'.padStart(6)} ${'feat s'.padStart(7)} ${'train s'.padStart(8)} ${'f+t s'.padStart(8)} ${'ns/peer'.padStart(7)} ${'conv.warn'.padStart(9)}  chosen setting`,
  ];
  const nsTime = ns ? (Number.isFinite(ns.featurizeSeconds) ? ns.featurizeSeconds : 0) + ns.trainSeconds : NaN;
  for (const r of rows) {
    const t = (Number.isFinite(r.featurizeSeconds) ? r.featurizeSeconds : 0) + r.trainSeconds;
    const ratio = r === ns || !Number.isFinite(r.featurizeSeconds) ? '' : f(nsTime / t, 2);
    lines.push(
      `    ${r.name.padEnd(40)} ${f(r.accuracy).padStart(8)} ${f(r.macroF1).padStart(8)} ${f(r.ece, 3).padStart(6)} ${f(r.brier, 3).padStart(6)} ${f(r.featurizeSeconds, 3).padStart(7)} ${f(r.trainSeconds, 3).padStart(8)} ${f(t, 3).padStart(8)} ${ratio.padStart(7)} ${String(r.warnings).padStart(9)}  ${params(r.params)}${r.epochs !== undefined ? ` (${r.epochs} epochs)` : ''}`,
    );
  }
  return lines;
}

function gap(label: string, ns: PeerScores, others: PeerScores[]): string | null {
  if (others.length === 0) return null;
  const byAcc = others.reduce((b, r) => (r.accuracy > b.accuracy ? r : b));
  const byF1 = others.reduce((b, r) => (r.macroF1 > b.macroF1 ? r : b));
  return `    nightshift - ${label}: accuracy ${signed(ns.accuracy - byAcc.accuracy)} (vs ${byAcc.name}), macro-F1 ${signed(ns.macroF1 - byF1.macroF1)} (vs ${byF1.name})`;
}

function searchLines(s: SystemSearch): string[] {
  const defaults = s.name === NIGHTSHIFT ? { learningRate: defaultTrainOptions.learningRate, l2: defaultTrainOptions.l2 } : null;
  const isChosen = (g: GridRow): boolean => s.chosen !== null && params(g.params) === params(s.chosen);
  const isDefault = (g: GridRow): boolean => defaults !== null && params(g.params) === params(defaults);
  const lines = [`    ${s.name} on ${s.features === 'own' ? 'its own features' : "Nightshift's features"}: chose ${params(s.chosen)}`];
  for (const g of s.grid) {
    const mark = `${isChosen(g) ? '*' : ' '}${isDefault(g) ? 'd' : ' '}`;
    const detail = g.error
      ? `failed: ${g.error}`
      : `val accuracy ${f(g.accuracy)} macro-F1 ${f(g.macroF1)}  ${f(g.seconds, 1)} s${g.epochs !== undefined ? `, ${g.epochs} epochs` : ''}${g.warnings ? `, ${g.warnings} convergence warning(s)` : ''}`;
    lines.push(`     ${mark} ${params(g.params).padEnd(30)} ${detail}`);
  }
  return lines;
}

export function printSuiteReport(sets: SetResult[], header: string[] = []): string {
  const lines = [
    'Benchmark suite: settings chosen on a validation split of the training rows, scored once on the held-out rows',
    ...header,
    '',
    '  Split: every fifth row of a set held out (test); of the training rows, every fifth is the validation split and the',
    '  rest the fit rows. Each system fits each setting of its grid on the fit rows; the best validation macro-F1 wins',
    '  (ties: accuracy, then the earlier setting), is refitted on all training rows and scored once on the test rows.',
    '  Table A: every system on its own default features (Nightshift: hashed words, or per-word character 2-4-grams when',
    '  the texts average <= 32 characters; scikit-learn and LIBLINEAR: HashingVectorizer(2^18) word unigrams; fastText: its',
    "  own tokens). Table B: scikit-learn and LIBLINEAR on Nightshift's own hashed features (the same matrix).",
    '  Times are those of the final fit (median of repeats); feat s is featurizing train and test rows ("-": the features',
    "  were Nightshift's, made once). conv.warn: ConvergenceWarnings (scikit-learn) or LIBLINEAR max-iteration warnings.",
  ];
  for (const s of sets) {
    lines.push('');
    lines.push(
      `${s.dataset.name}: ${s.rows.fit} fit / ${s.rows.validation} validation / ${s.rows.test} test rows, ${s.rows.classes} classes; Nightshift's character n-grams ${s.featurizer.charNgrams} — ${s.dataset.source}`,
    );
    for (const k of s.skipped) lines.push(`  ${k}`);
    const ns = s.results.find((r) => r.name === NIGHTSHIFT);
    const own = s.results.filter((r) => r.features === 'own');
    const peersOwn = own.filter((r) => r !== ns);
    lines.push(...table('A. each system on its own default features, tuned on validation', own, ns));
    if (ns) {
      const sklearnLiblinear = peersOwn.filter((r) => !r.name.startsWith('fastText'));
      for (const g of [
        gap('best tuned scikit-learn/LIBLINEAR', ns, sklearnLiblinear),
        gap(
          'best tuned fastText',
          ns,
          peersOwn.filter((r) => r.name.startsWith('fastText')),
        ),
      ])
        if (g) lines.push(g);
    }
    const same = s.results.filter((r) => r.features === 'nightshift');
    if (same.length > 0) {
      lines.push(...table("B. on Nightshift's own hashed features (the same matrix), tuned on validation", ns ? [ns, ...same] : same, ns));
      if (same.some((r) => r.name.startsWith('fastText')))
        lines.push("    (fastText's row in B is not the same matrix: its own character n-grams of 2-4, the nearest it has)");
      if (ns) {
        const g = gap(
          "best tuned peer on Nightshift's features",
          ns,
          same.filter((r) => !r.name.startsWith('fastText')),
        );
        if (g) lines.push(g);
      }
    }
  }
  lines.push('', 'Searches (validation scores of every setting; * chosen, d Nightshift default):');
  for (const s of sets) {
    lines.push(`  ${s.dataset.name}:`);
    for (const search of s.searches) lines.push(...searchLines(search));
  }
  return lines.join('\n');
}

export function parseSuiteArgs(argv: string[]): Partial<SuiteOptions> | 'help' {
  const o: Partial<SuiteOptions> = {};
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined) throw new Error(`${flag} needs a value\n${SUITE_USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--sets') o.sets = value(++i, a).split(',');
    else if (a === '--repeats') {
      o.repeats = Number(value(++i, a));
      if (!Number.isInteger(o.repeats) || o.repeats < 1) throw new Error(`--repeats must be a positive integer, got ${argv[i]}`);
    } else if (a === '--featurizer') o.featurizer = JSON.parse(value(++i, a)) as Partial<FeaturizerOptions>;
    else if (a === '--train') o.train = JSON.parse(value(++i, a)) as Partial<TrainOptions>;
    else if (a === '--no-peers') o.peers = false;
    else if (a === '--logreg-every-repeat') o.logRegEveryRepeat = true;
    else if (a === '--no-logreg') o.logReg = false;
    else if (a === '--logreg-max-classes') {
      o.logRegMaxClasses = Number(value(++i, a));
      if (!Number.isInteger(o.logRegMaxClasses) || o.logRegMaxClasses < 2)
        throw new Error(`--logreg-max-classes must be an integer >= 2, got ${argv[i]}`);
    } else if (a === '--out') o.out = value(++i, a);
    else throw new Error(`unknown suite option ${a}\n${SUITE_USAGE}`);
  }
  return o;
}

/** Entry for bench/run-all.ts: `npm run bench -- suite [options]`. */
export async function runSuiteFromArgs(argv: string[]): Promise<string> {
  const options = parseSuiteArgs(argv);
  if (options === 'help') return SUITE_USAGE;
  const start = runStart();
  const sets = await benchSuite(options);
  const repeats = options.repeats ?? 3;
  const notes = [
    `repeats: ${repeats} (final fits; the search runs once)${options.logRegEveryRepeat ? '' : '; LogisticRegression refitted in the first repeat only'}; LogisticRegression on sets of at most ${options.logRegMaxClasses ?? 2} classes`,
  ];
  const text = printSuiteReport(sets, resultsHeader(['npm run bench -- suite', ...argv].join(' '), start, notes));
  if (options.out) writeFileSync(options.out, text + '\n');
  return text;
}
