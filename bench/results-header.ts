/**
 * The top of a results file in bench/results/: the machine (`uname -a`, cores, memory), node, the
 * date, the git commit (and whether bench/ or ml/ had uncommitted changes), the exact command and
 * the load average, so every figure quoted in bench/README.md says where and how it was measured.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const run = (cmd: string, args: string[]): string | null => {
  try {
    return execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};

export const loadAverage = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export function gitCommit(): string {
  const head = run('git', ['rev-parse', '--short', 'HEAD']);
  if (head === null) return 'unknown (no git)';
  // Code only: the README and the results files being written beside it do not change what runs.
  const code = ['bench', 'ml', 'data', ':(exclude)*.md', ':(exclude)bench/results'];
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no', '--', ...code]) ?? '';
  return dirty ? `${head} with uncommitted changes to ${dirty.split('\n').length} code file(s) of bench/, ml/, data/` : head;
}

/** What a results header needs from the moment a run starts: its date, commit and load average. */
export interface RunStart {
  date: string;
  commit: string;
  load: string;
}

/** Call as a run starts: the commit is the code that runs, whatever is committed while it does. */
export const runStart = (): RunStart => ({ date: new Date().toISOString(), commit: gitCommit(), load: loadAverage() });

/** Header lines (each indented two spaces) for a results file. */
export function resultsHeader(command: string, start: RunStart, notes: string[] = []): string[] {
  const cpus = os.cpus();
  return [
    `  machine: ${run('uname', ['-a']) ?? `${os.type()} ${os.release()}`}`,
    `  cores: ${cpus.length} x ${cpus[0]?.model ?? '?'}; ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}`,
    `  started: ${start.date}; commit: ${start.commit}; finished: ${new Date().toISOString()}`,
    `  command: ${command}`,
    `  load average (1, 5, 15 min) at the start ${start.load}, at the end ${loadAverage()}`,
    ...notes.map((n) => `  ${n}`),
  ];
}
