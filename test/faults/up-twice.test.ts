/**
 * Two `nightshift up` in one home: the second, started while the first is still starting (before
 * stack.json exists), is refused by the home's stack lock instead of taking over (and SIGTERMing)
 * the first's Temporal dev server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO } from '../support/cli.ts';
import { removeSystemDataUnder, tempDir } from '../support/dirs.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from '../../stack/ports.ts';
import { isAlive } from '../../stack/processes.ts';

const dir = tempDir(path.join(inject('stateDir'), 'up-twice-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  removeSystemDataUnder(dir);
});

function startUp(env: NodeJS.ProcessEnv, args: string[]) {
  const childEnv = { ...process.env, ...env };
  delete childEnv.DATABASE_URL;
  delete childEnv.TEMPORAL_ADDRESS;
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'nightshift.js'), 'up', ...args], { env: childEnv });
  started.push(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.resume();
  return { child, stderr: () => stderr, exited: new Promise<number | null>((r) => child.once('close', r)) };
}

describe('a second nightshift up in the same home', () => {
  it("started during the first one's start-up, is refused and leaves the first one's servers alone", async () => {
    const home = path.join(dir, 'home');
    const ports = async (): Promise<NodeJS.ProcessEnv> => ({
      NIGHTSHIFT_HOME: home,
      NIGHTSHIFT_TEMPORAL_PORT: String(await freePort()),
      NIGHTSHIFT_UI_PORT: String(await freePort()),
      NIGHTSHIFT_PG_PORT: String(await freePort()),
      NIGHTSHIFT_SERVE_PORT: String(await freePort()),
      TEMPORAL_CLI_PATH: inject('temporalCli'),
      NIGHTSHIFT_SHUTDOWN_GRACE: '3s',
    });
    const first = startUp(await ports(), ['--no-schedule', '--no-worker', '--no-serve']);
    await waitFor(
      'the first up to start its Temporal dev server',
      async () => first.stderr().includes('starting Temporal dev server') || undefined,
      60_000,
      20,
    );
    const second = startUp(await ports(), ['--once', '--no-schedule', '--no-worker']);
    expect(await second.exited, second.stderr()).toBe(1);
    expect(second.stderr()).toContain(`a Nightshift stack is already running or starting for ${home} (pid ${first.child.pid})`);
    await waitFor('the first up serving', async () => first.stderr().includes('serving') || undefined, 180_000, 200);
    const temporalPid = Number(readFileSync(path.join(home, 'temporal.pid'), 'utf8'));
    expect(isAlive(temporalPid)).toBe(true);
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
  });
});
