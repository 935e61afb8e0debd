/**
 * How fast the compiled CLI answers (`npm run build` first): `node bin/nightshift.js ARGS` run N
 * times per case, as a user runs it, with median and p90 wall time and peak RSS (the child's
 * maximum resident set, from `/usr/bin/time -f %M` when it is installed). Cases: `--help`,
 * `help retrain`, a usage error (`retrain --modle x`), and `runs list` against a running stack
 * (`nightshift up --no-serve` in a temporary NIGHTSHIFT_HOME, on free ports, after its first run).
 * The report names the machine, the date, the commit and the load average before and after.
 *
 * With --baseline DIR (another checkout, built: say `git archive REV | tar -x -C DIR`, node_modules
 * linked, `npm run build`), each case runs that checkout's CLI too, the two interleaved run by run,
 * so both see the same load from elsewhere; `runs list` of both against the same running stack.
 *
 *   node bin/run-ts.js bench/cli-startup.ts [--runs N] [--no-stack] [--out FILE] [--baseline DIR --baseline-label TEXT]
 *   npm run bench -- cli-startup [same options]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../stack/ports.ts';
import { findTemporalCli } from '../stack/temporal-cli.ts';
import { spawnCli } from '../test/support/cli.ts';
import { tempDir } from '../test/support/dirs.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIME = '/usr/bin/time';

export interface CliCase {
  name: string;
  args: string[];
  /** Expected exit code (a usage error is 2). */
  code: number;
  /** Goal for the median wall time, in seconds. */
  goalSeconds: number;
}

/** A checkout whose CLI is measured: this one, or a baseline. */
export interface CliUnderTest {
  label: string;
  root: string;
}

export interface CaseResult {
  case: CliCase;
  cli: CliUnderTest;
  wallMs: number[];
  rssKb: number[];
}

export interface CliStartupReport {
  machine: string;
  node: string;
  date: string;
  commit: string;
  /** The baseline's label (its commit), when one was measured. */
  baseline: string | null;
  command: string;
  loadBefore: string;
  loadAfter: string;
  runs: number;
  results: CaseResult[];
  /** Why `runs list` was not measured, when it was not. */
  stackSkipped: string | null;
}

export const STARTUP_CASES: CliCase[] = [
  { name: '--help', args: ['--help'], code: 0, goalSeconds: 0.3 },
  { name: 'help retrain', args: ['help', 'retrain'], code: 0, goalSeconds: 0.3 },
  { name: 'usage error (retrain --modle x)', args: ['retrain', '--modle', 'x'], code: 2, goalSeconds: 0.3 },
];

const RUNS_LIST: CliCase = { name: 'runs list (running stack)', args: ['runs', 'list'], code: 0, goalSeconds: 0.8 };

/** One run of the CLI: wall time measured here, peak RSS by /usr/bin/time (-1 when not installed). */
function runOnce(
  cli: CliUnderTest,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; wallMs: number; rssKb: number; stderr: string }> {
  const withTime = existsSync(TIME);
  const argv = [path.join(cli.root, 'bin', 'nightshift.js'), ...args];
  const started = performance.now();
  const child = withTime
    ? spawn(TIME, ['-f', '%M', process.execPath, ...argv], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, argv, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - started;
      let rssKb = -1;
      if (withTime) {
        const lines = stderr.trimEnd().split('\n');
        const last = lines.pop() ?? '';
        rssKb = Number(last.trim());
        stderr = lines.filter((l) => !l.startsWith('Command exited with non-zero status')).join('\n');
      }
      resolve({ code, wallMs, rssKb, stderr });
    });
  });
}

/** Each CLI `runs` times, interleaved run by run. */
async function measure(c: CliCase, runs: number, env: NodeJS.ProcessEnv, clis: CliUnderTest[]): Promise<CaseResult[]> {
  const results: CaseResult[] = clis.map((cli) => ({ case: c, cli, wallMs: [], rssKb: [] }));
  // One run first, not counted: the page cache warms up as it does for a user who types commands
  // one after another.
  for (let i = 0; i <= runs; i++) {
    for (const result of results) {
      const r = await runOnce(result.cli, c.args, env);
      if (r.code !== c.code)
        throw new Error(`nightshift ${c.args.join(' ')} (${result.cli.label}) exited ${r.code}, expected ${c.code}:\n${r.stderr}`);
      if (i === 0) continue;
      result.wallMs.push(r.wallMs);
      result.rssKb.push(r.rssKb);
    }
  }
  return results;
}

/** `nightshift up --no-serve` in a temporary home, on free ports; resolves once it serves (its first run done). */
async function startStack(): Promise<{ env: NodeJS.ProcessEnv; stop: () => Promise<void> }> {
  const home = tempDir(path.join(os.tmpdir(), 'nightshift-bench-cli-'));
  const env: NodeJS.ProcessEnv = {
    NIGHTSHIFT_HOME: path.join(home, 'home'),
    TEMPORAL_CLI_PATH: await findTemporalCli(),
    NIGHTSHIFT_TEMPORAL_PORT: String(await freePort()),
    NIGHTSHIFT_UI_PORT: String(await freePort()),
    NIGHTSHIFT_PG_PORT: String(await freePort()),
    NO_COLOR: '1',
  };
  const up = spawnCli(['up', '--no-serve'], env);
  const deadline = Date.now() + 300_000;
  let exited: string | null = null;
  void up.done.then((r) => (exited = `nightshift up exited ${r.code}:\n${r.stderr}`));
  while (!up.stderr().includes('serving;')) {
    if (exited) throw new Error(exited);
    if (Date.now() > deadline) {
      up.kill('SIGKILL');
      throw new Error(`nightshift up did not start within 300 s:\n${up.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const childEnv = { ...process.env, ...env };
  delete childEnv.TEMPORAL_ADDRESS;
  delete childEnv.DATABASE_URL;
  return {
    env: childEnv,
    stop: async () => {
      up.kill('SIGINT');
      await up.done;
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'client', 'bin', 'stack', 'package.json'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head} with uncommitted changes to ${dirty.split('\n').length} file(s) of client/, bin/, stack/, package.json` : head;
  } catch {
    return 'unknown (no git)';
  }
}

function machine(): string {
  const cpus = os.cpus();
  return `${os.hostname()}: ${cpus.length} x ${cpus[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}`;
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export async function benchCliStartup(options: {
  runs: number;
  stack: boolean;
  command: string;
  baseline: CliUnderTest | null;
}): Promise<CliStartupReport> {
  const clis: CliUnderTest[] = [{ label: 'this checkout', root }, ...(options.baseline ? [options.baseline] : [])];
  for (const cli of clis)
    if (!existsSync(path.join(cli.root, 'dist', 'client', 'cli.js')))
      throw new Error(`${cli.root}/dist/ is missing: run \`npm run build\` there first`);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.TEMPORAL_ADDRESS;
  delete env.DATABASE_URL;
  const report: CliStartupReport = {
    machine: machine(),
    node: process.version,
    date: new Date().toISOString(),
    commit: commit(),
    baseline: options.baseline ? `${options.baseline.label} (${options.baseline.root})` : null,
    command: options.command,
    loadBefore: loadAverage(),
    loadAfter: '',
    runs: options.runs,
    results: [],
    stackSkipped: null,
  };
  for (const c of STARTUP_CASES) report.results.push(...(await measure(c, options.runs, env, clis)));
  if (!options.stack) report.stackSkipped = '--no-stack';
  else {
    const stack = await startStack();
    try {
      report.results.push(...(await measure(RUNS_LIST, options.runs, stack.env, clis)));
    } finally {
      await stack.stop();
    }
  }
  report.loadAfter = loadAverage();
  return report;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

export function printCliStartupReport(r: CliStartupReport): string {
  const lines = [
    `CLI start-up: node bin/nightshift.js on dist/, ${r.runs} runs per case (after one uncounted run)`,
    `  machine ${r.machine}; node ${r.node}`,
    `  date ${r.date}; commit ${r.commit}${r.baseline ? `; baseline ${r.baseline}, interleaved run by run` : ''}`,
    `  command: ${r.command}`,
    `  load average (1, 5, 15 min) before ${r.loadBefore}, after ${r.loadAfter}`,
    '',
    `  ${'case'.padEnd(34)} ${'CLI'.padEnd(14)} ${'median s'.padStart(9)} ${'p90 s'.padStart(7)} ${'goal s'.padStart(7)}  ${'met'.padEnd(3)} ${'peak RSS MB (median, max)'.padStart(26)}`,
  ];
  for (const { case: c, cli, wallMs, rssKb } of r.results) {
    const median = quantile(wallMs, 0.5) / 1000;
    const rss =
      rssKb[0] < 0 ? 'n/a (no /usr/bin/time)' : `${(quantile(rssKb, 0.5) / 1024).toFixed(0)}, ${(Math.max(...rssKb) / 1024).toFixed(0)}`;
    lines.push(
      `  ${c.name.padEnd(34)} ${cli.label.slice(0, 14).padEnd(14)} ${median.toFixed(3).padStart(9)} ${(quantile(wallMs, 0.9) / 1000).toFixed(3).padStart(7)} ${c.goalSeconds.toFixed(1).padStart(7)}  ${(median <= c.goalSeconds ? 'yes' : 'NO').padEnd(3)} ${rss.padStart(26)}`,
    );
  }
  if (r.stackSkipped) lines.push(`  runs list: not measured (${r.stackSkipped})`);
  return lines.join('\n');
}

export function parseCliStartupArgs(argv: string[]): { runs: number; stack: boolean; out: string | null; baseline: CliUnderTest | null } {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      'no-stack': { type: 'boolean' },
      out: { type: 'string' },
      baseline: { type: 'string' },
      'baseline-label': { type: 'string' },
    },
    strict: true,
  });
  const runs = values.runs === undefined ? 20 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const baseline = values.baseline ? { label: values['baseline-label'] ?? 'baseline', root: path.resolve(values.baseline) } : null;
  return { runs, stack: !values['no-stack'], out: values.out ?? null, baseline };
}

/** Runs the bench, prints the report and, with --out, writes it there too. */
export async function runCliStartupFromArgs(argv: string[], command: string): Promise<string> {
  const options = parseCliStartupArgs(argv);
  const text = printCliStartupReport(await benchCliStartup({ ...options, command }));
  if (options.out) writeFileSync(options.out, text + '\n');
  return text;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  process.stdout.write((await runCliStartupFromArgs(argv, ['node bin/run-ts.js bench/cli-startup.ts', ...argv].join(' '))) + '\n');
  process.exit(0);
}
