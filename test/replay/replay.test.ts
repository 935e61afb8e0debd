/**
 * Replay safety: recorded histories of the main paths (test/fixtures/histories, recorded by
 * record-histories.ts) replay against the current workflow code without a determinism error; the
 * same histories against a deliberately reordered workflow must fail (the negative control).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from '../../worker/create-worker.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, '..', 'fixtures', 'histories');
// Histories of the current workflow, and of earlier versions in subfolders (before-run-slot/,
// before-notifications/).
const fixtures = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();
/** record-histories.ts runs each path as workflow `record-<name>`. */
const recordedId = (file: string): string => `record-${path.basename(file, '.json')}`;
const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

try {
  // The negative control makes Core log each determinism violation at WARN: expected, so quiet.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } },
  });
} catch {
  // already installed in this process
}

describe('replay of recorded histories', async () => {
  const current = await workflowBundle();
  const reordered = await bundleWorkflowCode({ workflowsPath: path.join(here, 'reordered-workflow.ts'), logger: quiet });

  it('covers the main paths', () => {
    const paths = ['approved.json', 'data-invalid.json', 'promoted.json', 'rejected.json', 'skipped.json'];
    const current = [...paths, 'run-in-progress.json'];
    expect(fixtures).toEqual(
      [...paths.map((p) => `before-run-slot/${p}`), ...current.map((p) => `before-notifications/${p}`), ...current].sort(),
    );
  });

  for (const file of fixtures) {
    const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as unknown;

    it(`${file} replays against the current workflow code`, async () => {
      // The recorded workflow id: ids derived from it (the notification children's) must match.
      await Worker.runReplayHistory({ workflowBundle: current }, history, recordedId(file));
    });

    it(`${file} fails against a reordered workflow (negative control)`, async () => {
      const err = await Worker.runReplayHistory({ workflowBundle: reordered }, history, recordedId(file)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeterminismViolationError);
    });
  }
});
