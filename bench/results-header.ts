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
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no', '--', 'bench', 'ml', 'data']) ?? '';
  return dirty ? `${head} with uncommitted changes to ${dirty.split('\n').length} file(s) of bench/, ml/, data/` : head;
}

/** Header lines (each indented two spaces) for a results file. */
export function resultsHeader(command: string, loadBefore: string, notes: string[] = []): string[] {
  const cpus = os.cpus();
  return [
    `  machine: ${run('uname', ['-a']) ?? `${os.type()} ${os.release()}`}`,
    `  cores: ${cpus.length} x ${cpus[0]?.model ?? '?'}; ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}`,
    `  date: ${new Date().toISOString()}; commit: ${gitCommit()}`,
    `  command: ${command}`,
    `  load average (1, 5, 15 min) before ${loadBefore}, after ${loadAverage()}`,
    ...notes.map((n) => `  ${n}`),
  ];
}
