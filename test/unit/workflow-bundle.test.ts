/**
 * What the workflow bundle holds. Workflow code is replayed from history, so everything in the
 * bundle decides what a replayed run computes: it must be orchestration only (workflows/) plus the
 * payload contract (activities/pipeline/types.ts, types and a pure id helper). This test bundles the
 * workflows as the worker does (worker/create-worker.ts workflowBundle, Temporal's
 * bundleWorkflowCode), lists our files in it from the inline source map, prints them and the size,
 * and fails on any other file of ours.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../worker/create-worker.ts';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ALLOWED_OUTSIDE_WORKFLOWS = ['activities/pipeline/types.ts'];

/** The files of this repository in a bundle, from its inline source map (webpack://name/./path). */
function projectFilesIn(code: string): string[] {
  const match = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  if (!match) throw new Error('the workflow bundle has no inline source map');
  const map = JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')) as { sources: string[] };
  const files = new Set<string>();
  for (const source of map.sources) {
    const file = source.replace(/^webpack:\/\/[^/]*\//, '').replace(/^\.\//, '');
    const absolute = path.resolve(root, file);
    if (file.includes('node_modules') || file.startsWith('webpack/') || !absolute.startsWith(root + path.sep)) continue;
    files.add(path.relative(root, absolute));
  }
  return [...files].sort();
}

describe('the workflow bundle', () => {
  it('holds workflows/ and the payload contract, nothing else of ours', { timeout: 120_000 }, async () => {
    const bundle = await workflowBundle();
    const files = projectFilesIn(bundle.code);
    console.log(
      `workflow bundle: ${(Buffer.byteLength(bundle.code) / 1024).toFixed(0)} KiB, ${files.length} project files:\n  ${files.join('\n  ')}`,
    );
    // The listing sees what it must (an empty list would pass anything).
    expect(files).toContain('workflows/index.ts');
    expect(files).toContain('workflows/retrain-model.ts');
    const outside = files.filter((f) => !f.startsWith(`workflows${path.sep}`) && !ALLOWED_OUTSIDE_WORKFLOWS.includes(f));
    expect(outside).toEqual([]);
  });
});
