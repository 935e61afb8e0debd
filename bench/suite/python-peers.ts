/**
 * Runs bench/peers/suite-peers.py on one set's split files. The interpreter is
 * $NIGHTSHIFT_BENCH_PYTHON, else a venv under bench/out (created with `python3 -m venv`, then
 * `pip install scikit-learn fasttext`, falling back to fasttext-wheel, on first use), else a python3
 * that already has scikit-learn (Debian python3-sklearn). A peer whose package is missing is skipped
 * with the install command.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Held-out scores of one system with its chosen setting. */
export interface PeerScores {
  /** `${features}|${name}`: one system on one kind of features. */
  key: string;
  name: string;
  /** 'own': the system's own default features; 'nightshift': Nightshift's hashed features (or, for fastText, its nearest). */
  features: 'own' | 'nightshift';
  params: Record<string, number | string>;
  accuracy: number;
  macroF1: number;
  /** NaN when the features were Nightshift's (made once, by Nightshift). */
  featurizeSeconds: number;
  trainSeconds: number;
  ece: number;
  brier: number;
  /** ConvergenceWarnings (scikit-learn) or LIBLINEAR max-iteration warnings while fitting. */
  warnings: number;
  /** Training epochs run (Nightshift only). */
  epochs?: number;
}

/** One grid point of a search, scored on the validation rows. */
export interface GridRow {
  params: Record<string, number | string>;
  accuracy?: number;
  macroF1?: number;
  seconds: number;
  warnings?: number;
  /** Nightshift only: epochs run (early stopping). */
  epochs?: number;
  /** The fit failed (fastText's NaN loss at a high learning rate). */
  error?: string;
}

export interface SystemSearch {
  key: string;
  name: string;
  features: 'own' | 'nightshift';
  grid: GridRow[];
  chosen: Record<string, number | string> | null;
}

export interface PeerSearch {
  systems: SystemSearch[];
  skipped: string[];
}

const imports = (python: string, module: string): boolean =>
  spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;

/** pip install fastText into the bench venv: the `fasttext` sdist/wheel, else `fasttext-wheel`. */
function installFastText(venvPython: string): void {
  for (const pkg of ['fasttext', 'fasttext-wheel']) {
    process.stderr.write(`installing ${pkg} into bench/out/venv...\n`);
    if (spawnSync(venvPython, ['-m', 'pip', 'install', '-q', pkg], { stdio: 'inherit' }).status === 0 && imports(venvPython, 'fasttext'))
      return;
  }
  process.stderr.write('fastText could not be installed into bench/out/venv: its rows are skipped\n');
}

/** The python with scikit-learn, creating the bench venv when needed; null (and a message on stderr) when none can be had. */
export function findPeerPython(outDir: string): string | null {
  const fromEnv = process.env.NIGHTSHIFT_BENCH_PYTHON;
  if (fromEnv) return fromEnv;
  const venvPython = path.join(outDir, 'venv', 'bin', 'python');
  if (existsSync(venvPython) && imports(venvPython, 'sklearn')) {
    if (!imports(venvPython, 'fasttext')) installFastText(venvPython);
    return venvPython;
  }
  if (imports('python3', 'sklearn')) return 'python3';
  process.stderr.write('creating bench/out/venv with scikit-learn and fastText (python3 -m venv; pip install scikit-learn fasttext)...\n');
  const venv = spawnSync('python3', ['-m', 'venv', path.join(outDir, 'venv')], { stdio: 'inherit' });
  if (venv.status === 0 && spawnSync(venvPython, ['-m', 'pip', 'install', '-q', 'scikit-learn'], { stdio: 'inherit' }).status === 0) {
    installFastText(venvPython);
    return venvPython;
  }
  process.stderr.write('scikit-learn peers skipped: no python3 with scikit-learn (Debian python3-sklearn, or python3-venv and pip)\n');
  return null;
}

function runScript(python: string, args: string[]): string {
  // numpy's BLAS is timed as its users run it: without the per-processor overrides some machines set.
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  // stderr (the search's progress and every warning) goes through to the terminal.
  const run = spawnSync(python, args, { encoding: 'utf8', env, maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`suite-peers.py ${args[1]} failed (exit ${run.status}); its error is above`);
  return run.stdout;
}

export interface PeerFlags {
  logisticRegression: boolean;
  fastTextCharNgrams: boolean;
}

const flagArgs = (f: PeerFlags): string[] => [
  ...(f.logisticRegression ? [] : ['--no-logistic-regression']),
  ...(f.fastTextCharNgrams ? ['--fasttext-char-ngrams'] : []),
];

interface RawGridRow {
  params: Record<string, number | string>;
  accuracy?: number;
  macro_f1?: number;
  seconds: number;
  warnings?: number;
  error?: string;
}

/** The peers' search on the validation split of `dir`. */
export function searchPeers(python: string, script: string, dir: string, flags: PeerFlags): PeerSearch {
  const raw = JSON.parse(runScript(python, [script, 'search', dir, ...flagArgs(flags)])) as {
    systems: (Omit<SystemSearch, 'grid'> & { grid: RawGridRow[] })[];
    skipped: string[];
  };
  return {
    skipped: raw.skipped,
    systems: raw.systems.map((s) => ({
      ...s,
      grid: s.grid.map((g) => ({
        params: g.params,
        accuracy: g.accuracy,
        macroF1: g.macro_f1,
        seconds: g.seconds,
        warnings: g.warnings,
        error: g.error,
      })),
    })),
  };
}

/** The peers refitted with their chosen settings (`chosenFile`: the search's JSON) on all training rows, scored on the held-out rows. */
export function finalPeers(python: string, script: string, dir: string, chosenFile: string, flags: PeerFlags): PeerScores[] {
  const rows = JSON.parse(runScript(python, [script, 'final', dir, chosenFile, ...flagArgs(flags)])) as {
    key: string;
    name: string;
    features: 'own' | 'nightshift';
    params: Record<string, number | string>;
    accuracy: number;
    macro_f1: number;
    featurize_s: number | null;
    train_s: number;
    ece: number;
    brier: number;
    warnings: number;
  }[];
  return rows.map((r) => ({
    key: r.key,
    name: r.name,
    features: r.features,
    params: r.params,
    accuracy: r.accuracy,
    macroF1: r.macro_f1,
    featurizeSeconds: r.featurize_s ?? NaN,
    trainSeconds: r.train_s,
    ece: r.ece,
    brier: r.brier,
    warnings: r.warnings,
  }));
}
