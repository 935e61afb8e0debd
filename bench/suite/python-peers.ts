/**
 * Runs bench/peers/suite-peers.py on one split. The interpreter is $NIGHTSHIFT_BENCH_PYTHON, else a
 * venv under bench/out (created with `python3 -m venv` and `pip install scikit-learn` on first use),
 * else a python3 that already has scikit-learn (Debian python3-sklearn).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface PeerScores {
  name: string;
  accuracy: number;
  macroF1: number;
  featurizeSeconds: number;
  trainSeconds: number;
  ece: number;
  brier: number;
  /** Training epochs run (Nightshift only). */
  epochs?: number;
}

const hasSklearn = (python: string): boolean => spawnSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;

/** The python with scikit-learn, creating the bench venv when needed; null (and a message on stderr) when none can be had. */
export function findPeerPython(outDir: string): string | null {
  const fromEnv = process.env.NIGHTSHIFT_BENCH_PYTHON;
  if (fromEnv) return fromEnv;
  const venvPython = path.join(outDir, 'venv', 'bin', 'python');
  if (existsSync(venvPython) && hasSklearn(venvPython)) return venvPython;
  if (hasSklearn('python3')) return 'python3';
  process.stderr.write('creating bench/out/venv with scikit-learn (python3 -m venv; pip install scikit-learn)...\n');
  const venv = spawnSync('python3', ['-m', 'venv', path.join(outDir, 'venv')], { stdio: 'inherit' });
  if (venv.status === 0 && spawnSync(venvPython, ['-m', 'pip', 'install', '-q', 'scikit-learn'], { stdio: 'inherit' }).status === 0) {
    return venvPython;
  }
  process.stderr.write('scikit-learn peers skipped: no python3 with scikit-learn (Debian python3-sklearn, or python3-venv and pip)\n');
  return null;
}

/** Runs the peers on a split written as JSONL; `logisticRegression` false skips the slow one. */
export function runPythonPeers(
  python: string,
  script: string,
  trainFile: string,
  testFile: string,
  logisticRegression: boolean,
): PeerScores[] {
  // numpy's BLAS is timed as its users run it: without the per-processor overrides some machines set.
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const args = [script, trainFile, testFile, ...(logisticRegression ? [] : ['--no-logistic-regression'])];
  const run = spawnSync(python, args, { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`suite-peers.py failed: ${run.stderr.trim().split('\n').pop() ?? 'no output'}`);
  const rows = JSON.parse(run.stdout) as {
    name: string;
    accuracy: number;
    macro_f1: number;
    featurize_s: number;
    train_s: number;
    ece: number;
    brier: number;
  }[];
  return rows.map((r) => ({
    name: r.name,
    accuracy: r.accuracy,
    macroF1: r.macro_f1,
    featurizeSeconds: r.featurize_s,
    trainSeconds: r.train_s,
    ece: r.ece,
    brier: r.brier,
  }));
}
