/**
 * The stock Python clients the integration tests drive the model server with (tritonclient's
 * HTTP clients, kserve's InferenceRESTClient, MLflow's ScoringServerClient): a virtual
 * environment with pinned versions from PyPI, made once by `npm run pretest`
 * (scripts/test-prerequisites.ts) under ~/.cache/nightshift/py-clients-<hash of the requirements>,
 * so a change of pins makes a new one. NIGHTSHIFT_PY_CLIENTS names another directory.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PY_CLIENT_REQUIREMENTS = [
  'tritonclient[http]==2.73.0',
  'kserve==0.21.0',
  'mlflow-skinny==3.18.0',
  'numpy==2.4.6',
  'pandas==2.3.3',
  // MLflow's client (dump_input_data) looks for scipy.sparse, which raises without scipy.
  'scipy==1.16.3',
] as const;

const IMPORTS =
  'import tritonclient.http, tritonclient.http.aio, kserve, numpy, pandas; from mlflow.pyfunc.scoring_server.client import ScoringServerClient';

export function pyClientsDir(): string {
  if (process.env.NIGHTSHIFT_PY_CLIENTS) return process.env.NIGHTSHIFT_PY_CLIENTS;
  const hash = createHash('sha256').update(PY_CLIENT_REQUIREMENTS.join('\n')).digest('hex').slice(0, 12);
  return path.join(os.homedir(), '.cache', 'nightshift', `py-clients-${hash}`);
}

const pythonIn = (dir: string): string => path.join(dir, 'bin', 'python');

const importable = (python: string): boolean => existsSync(python) && spawnSync(python, ['-c', IMPORTS], { stdio: 'ignore' }).status === 0;

function pipEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PIP_CONFIG_FILE: os.devNull };
  for (const key of Object.keys(env)) if (/^PIP_(EXTRA_)?INDEX_URL$|^PIP_FIND_LINKS$/.test(key)) delete env[key];
  return env;
}

/** Makes the environment when it is missing (python3 -m venv, pip install from PyPI); returns its python. */
export function ensurePythonClients(say: (line: string) => void): string {
  const dir = pyClientsDir();
  if (importable(pythonIn(dir))) return pythonIn(dir);
  // Built beside its final place and renamed into it, so a half-made one is never taken for ready.
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  say(
    `creating the Python client environment in ${dir} (python3 -m venv; pip install ${PY_CLIENT_REQUIREMENTS.join(' ')}; a minute or two, once)`,
  );
  const made = spawnSync('python3', ['-m', 'venv', building], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (made.status !== 0) throw new Error('python3 -m venv failed: install python3 and python3-venv (Debian: apt-get install python3-venv)');
  const pip = spawnSync(
    pythonIn(building),
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--progress-bar',
      'off',
      '--index-url',
      'https://pypi.org/simple',
      ...PY_CLIENT_REQUIREMENTS,
    ],
    // PyPI only: no pip configuration file or environment may add another index.
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 1_200_000, env: pipEnv() },
  );
  if (pip.status !== 0)
    throw new Error(`pip install of the Python clients failed (exit ${pip.status ?? pip.signal ?? pip.error?.message})`);
  if (!importable(pythonIn(building))) throw new Error('the Python clients are not importable after pip install');
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return pythonIn(dir);
}

let checked: string | null = null;

/** The environment's python for a test; throws, saying how to make it, when it is missing. */
export function pythonClients(): string {
  if (checked) return checked;
  const python = pythonIn(pyClientsDir());
  if (!importable(python)) {
    throw new Error(`the Python client environment ${pyClientsDir()} is missing or broken: run \`npm run pretest\` (it makes it)`);
  }
  checked = python;
  return python;
}
