/**
 * Finds the `temporal` CLI (v1.5.1) in this order: $TEMPORAL_CLI_PATH, `temporal` on PATH, the
 * binary cached under the user's cache directory, a build with `go install` into that cache, the
 * official release download. Whatever fails ends in one message saying what to install.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, chmodSync, createWriteStream, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export const TEMPORAL_CLI_VERSION = '1.5.1';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'nightshift', `temporal-${TEMPORAL_CLI_VERSION}`);
}

export function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH, or null. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** How often a long build says it is still going. */
const PROGRESS_EVERY_MS = 15_000;

/**
 * Runs a command, keeping the tail of its output for the error; while it runs, logs a progress line
 * every 15 s (elapsed time, modules downloaded so far), since the first build takes minutes.
 */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    let downloaded = 0;
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString();
      downloaded += text.match(/^go: downloading /gm)?.length ?? 0;
      tail = (tail + text).slice(-4000);
    };
    const progress = setInterval(() => {
      const seconds = Math.round((Date.now() - started) / 1000);
      log(`  still building (${seconds} s${downloaded ? `, ${downloaded} modules downloaded` : ''}; compiling takes most of the time)`);
    }, PROGRESS_EVERY_MS);
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (err) => {
      clearInterval(progress);
      reject(err);
    });
    child.once('close', (code) => {
      clearInterval(progress);
      if (code === 0) {
        log(`  built in ${Math.round((Date.now() - started) / 1000)} s`);
        resolve();
      } else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${tail}`));
    });
    log(`$ ${cmd} ${args.join(' ')}`);
  });
}

async function goInstall(dir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string> {
  const goBin = onPath('go', env);
  if (!goBin) throw new Error('go is not installed');
  mkdirSync(dir, { recursive: true });
  log(`building the Temporal CLI v${TEMPORAL_CLI_VERSION} from source with go (a few minutes the first time; cached in ${dir})`);
  const target = `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`;
  const buildEnv = { ...env, GOBIN: dir, GOFLAGS: env.GOFLAGS ?? '-trimpath' };
  try {
    await run(goBin, ['install', target], buildEnv, log);
  } catch (err) {
    if (env.GOSUMDB) throw err;
    // Checksum-database look-ups can be refused while the module proxy answers; go still checks
    // every dependency against the CLI module's own go.sum.
    log('go install failed; retrying with GOSUMDB=off');
    await run(goBin, ['install', target], { ...buildEnv, GOSUMDB: 'off' }, log);
  }
  return path.join(dir, 'temporal');
}

async function download(dir: string, log: (line: string) => void): Promise<string> {
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const url = `https://temporal.download/cli/archive/v${TEMPORAL_CLI_VERSION}?platform=${process.platform}&arch=${arch}`;
  log(`downloading the Temporal CLI from ${url}`);
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!res.ok || !res.body) throw new Error(`download failed: HTTP ${res.status}`);
  mkdirSync(dir, { recursive: true });
  const archive = path.join(dir, 'temporal.tar.gz');
  await pipeline(Readable.fromWeb(res.body as WebReadableStream), createWriteStream(archive));
  await new Promise<void>((resolve, reject) =>
    execFile('tar', ['-xzf', archive, '-C', dir, 'temporal'], (err) => (err ? reject(err) : resolve())),
  );
  rmSync(archive, { force: true });
  const bin = path.join(dir, 'temporal');
  chmodSync(bin, 0o755);
  return bin;
}

/** The executable a variable names, or null when it is unset; throws when it names no executable file. */
export function executableFromEnv(env: NodeJS.ProcessEnv, variable: string): string | null {
  const file = env[variable];
  if (!file) return null;
  if (isExecutable(file)) return file;
  throw new Error(`${variable}=${file} is not an executable file`);
}

export async function findTemporalCli(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<string> {
  const given = executableFromEnv(env, 'TEMPORAL_CLI_PATH');
  if (given) return given;
  const fromPath = onPath('temporal', env);
  if (fromPath) return fromPath;
  const dir = cacheDir(env);
  const cached = path.join(dir, 'temporal');
  if (isExecutable(cached)) return cached;
  const failures: string[] = [];
  try {
    return await goInstall(dir, env, log);
  } catch (err) {
    failures.push(`go install: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    return await download(dir, log);
  } catch (err) {
    failures.push(`download: ${(err as Error).message}`);
  }
  if (existsSync(cached) && isExecutable(cached)) return cached;
  throw new Error(
    `the Temporal CLI was not found and could not be installed (${failures.join('; ')}). ` +
      `Install it with \`GOBIN=${dir} go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}\`, ` +
      'put `temporal` on PATH, or set TEMPORAL_CLI_PATH; or point TEMPORAL_ADDRESS at a running server.',
  );
}
