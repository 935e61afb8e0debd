/**
 * `nightshift up` serves: the model server starts with the stack, its URL goes to stack.json as
 * serveUrl (where `nightshift demo traffic` finds it), the dashboard and the model answer there,
 * the monitor schedule is created, and Ctrl-C stops it all and removes the stack file.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { canConnect, freePort } from '../../stack/ports.ts';
import { REPO } from '../support/cli.ts';
import { tempDir } from '../support/dirs.ts';
import { waitFor } from '../support/wait.ts';
import type { StackFile } from '../../stack/stack-file.ts';

describe('nightshift up', () => {
  it('starts the model server, advertises serveUrl, creates the monitor schedule, and stops on Ctrl-C', async () => {
    const home = tempDir(path.join(inject('stateDir'), 'up-serve-'));
    const servePort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NIGHTSHIFT_HOME: home,
      TEMPORAL_CLI_PATH: inject('temporalCli'),
      NIGHTSHIFT_TEMPORAL_PORT: String(await freePort()),
      NIGHTSHIFT_UI_PORT: String(await freePort()),
      NIGHTSHIFT_PG_PORT: String(await freePort()),
      NIGHTSHIFT_SERVE_PORT: String(servePort),
    };
    delete env.TEMPORAL_ADDRESS;
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'nightshift.js'), 'up', '--no-run'], { cwd: REPO, env });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('up to serve', async () => (/serving; dashboard at/.test(stderr) ? true : undefined), 180_000, 250);
      const stack = JSON.parse(readFileSync(path.join(home, 'stack.json'), 'utf8')) as StackFile;
      expect(stack.serveUrl).toBe(`http://127.0.0.1:${servePort}`);
      expect(stderr).toContain(`model server: ${stack.serveUrl} (dashboard at ${stack.serveUrl}/)`);
      expect(stderr).toMatch(/monitor schedule monitor-spam created \(every 15 minutes/);

      const page = await fetch(`${stack.serveUrl}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Nightshift</title>');
      const overview = (await (await fetch(`${stack.serveUrl}/v1/overview`)).json()) as {
        temporal: { available: boolean; uiUrl: string | null };
        models: Array<{ name: string }>;
      };
      expect(overview.temporal).toMatchObject({ available: true, uiUrl: stack.uiUrl });
      expect(overview.models.map((m) => m.name)).toEqual(['spam']);
      expect((await fetch(`${stack.serveUrl}/v1/runs?model=spam`)).status).toBe(200);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(existsSync(path.join(home, 'stack.json'))).toBe(false);
    expect(await canConnect('127.0.0.1', servePort)).toBe(false);
  });
});
