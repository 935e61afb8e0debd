import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs `nightshift ARGS` as a user would (node bin/nightshift.js), with extra environment. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 240_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const key of ['TEMPORAL_ADDRESS', 'DATABASE_URL'] as const) if (!(key in env)) delete childEnv[key];
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'nightshift.js'), ...args], { cwd: REPO, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nightshift ${args.join(' ')} did not finish within ${timeoutMs / 1000}s\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

export interface CliProcess {
  /** stderr so far. */
  stderr: () => string;
  done: Promise<CliResult>;
}

/** Starts `nightshift ARGS` without waiting for it, for tests that act while it runs. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const started = Date.now();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const key of ['TEMPORAL_ADDRESS', 'DATABASE_URL'] as const) if (!(key in env)) delete childEnv[key];
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'nightshift.js'), ...args], { cwd: REPO, env: childEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 })),
  );
  return { stderr: () => stderr, done };
}
