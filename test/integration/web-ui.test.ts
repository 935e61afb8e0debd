import { SEARCH_ATTRIBUTES } from '../../workflows/definitions.ts';
/**
 * Someone with only the Temporal Web UI can answer "what happened and why": headless Chromium
 * opens the UI served by a dev server, finds a finished run by its search attributes, and sees
 * its summary, its details and the decision table in its current details.
 */

import path from 'node:path';
import { tempDir } from '../support/dirs.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startDevServer, type DevServer } from '../../stack/temporal-server.ts';
import { freePort } from '../../stack/ports.ts';
import { startRetrain } from '../../runs/client.ts';
import { startTestStack, type TestStack } from '../support/services.ts';
import { importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { allFramesText } from '../support/browser.ts';
import type { RunResult } from '../../workflows/definitions.ts';

let server: DevServer;
let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  server = await startDevServer({
    searchAttributes: SEARCH_ATTRIBUTES,
    cli: inject('temporalCli'),
    home: tempDir(path.join(inject('stateDir'), 'ui-')),
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
  });
  stack = await startTestStack({ temporalAddress: server.address });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await server?.stop();
});

describe('Temporal Web UI', () => {
  it('finds a finished run by ModelName and Outcome and shows its summary, details and decision', async () => {
    await importRows(stack.database.db, 'webui', syntheticTexts(200, ['up', 'down'], 9));
    const handle = await startRetrain(stack.client, stack.taskQueue, {
      model: 'webui',
      trigger: 'manual',
      hyperparameters: { buckets: 2048 },
    });
    const result = (await handle.result()) as RunResult;
    expect(result.outcome).toBe('PROMOTED');

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const query = encodeURIComponent('ModelName="webui" AND Outcome="PROMOTED"');
    const deadline = Date.now() + 30_000;
    // Visibility is eventually consistent: reload the filtered list until the run shows up.
    for (;;) {
      await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${query}`, { waitUntil: 'networkidle' });
      if (await page.getByText(handle.workflowId).count()) break;
      if (Date.now() > deadline) throw new Error(`run ${handle.workflowId} not in the UI list filtered by its search attributes`);
      await page.waitForTimeout(1000);
    }

    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${handle.workflowId}/${handle.firstExecutionRunId}/history`, {
      waitUntil: 'networkidle',
    });
    await expect
      .poll(async () => page.locator('body').innerText(), { timeout: 20_000 })
      .toContain('trainCandidate • Train a challenger with Adam on');
    expect(await page.locator('body').innerText()).toContain('compareModels • Judge candidate v1 against no champion');

    await page.getByText('User Metadata', { exact: true }).first().click();
    // Summary, details and current details render as Markdown in frames of their own.
    const allText = (): Promise<string> => allFramesText(page);
    await expect.poll(allText, { timeout: 15_000 }).toContain('webui: PROMOTED');
    const text = await allText();
    expect(text).toContain('Retrain webui (manual)');
    expect(text).toMatch(/Nightshift retraining run for model\s+webui/);
    expect(text).toMatch(/Decision: PROMOTE/);
    expect(text).toMatch(/accuracy\s+-\s+\d\.\d{4}/);
    expect(text).toMatch(/absolute-min\s+accuracy/);
  });
});
