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

export interface CliProcess {
  /** stderr so far. */
  stderr: () => string;
  done: Promise<CliResult>;
  kill: (signal: NodeJS.Signals) => void;
}

/** Starts `nightshift ARGS` as a user would (node bin/nightshift.js), with extra environment, without waiting for it. */
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
  return { stderr: () => stderr, done, kill: (signal) => child.kill(signal) };
}

/** Runs `nightshift ARGS` to the end (killed after `timeoutMs`). */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 240_000): Promise<CliResult> {
  const cli = spawnCli(args, env);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cli.kill('SIGKILL');
      reject(new Error(`nightshift ${args.join(' ')} did not finish within ${timeoutMs / 1000}s\nstderr:\n${cli.stderr()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([cli.done, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
