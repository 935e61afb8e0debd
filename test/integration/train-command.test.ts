/** `nightshift train`: the ML modules alone, from JSONL files, as a user runs it. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../support/dirs.ts';
import { describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { decodeModel } from '../../ml/model-file.ts';

const dir = tempDir(path.join(inject('stateDir'), 'train-'));
const write = (name: string, rows: unknown[], extra = ''): string => {
  const file = path.join(dir, name);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n' + extra);
  return file;
};
const labels = ['alpha', 'beta', 'gamma', 'delta'];

describe('nightshift train', () => {
  it('trains and evaluates, printing the JSON the benchmarks read, and writes a loadable model', async () => {
    const train = write('train.jsonl', syntheticTexts(600, labels, 31), 'not json\n');
    const test = write('test.jsonl', syntheticTexts(200, labels, 32));
    const modelOut = path.join(dir, 'model.nsm');
    const r = await runCli(
      ['train', '--train', train, '--test', test, '--model-out', modelOut, '--json', '--epochs', '8', '--seed', '3'],
      {},
      60_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual([
      'accuracy',
      'epochs',
      'examples',
      'featurize_s',
      'labels',
      'macro_f1',
      'per_class',
      'train_s',
    ]);
    expect(out.accuracy).toBeGreaterThan(0.9);
    expect(out.labels).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    expect(out.examples).toEqual({ train: 600, test: 200 });
    expect(r.stderr).toMatch(/skipped 1 bad lines \(first: line 601: bad JSON/);
    expect(decodeModel(readFileSync(modelOut)).labels).toEqual(out.labels);
  });

  it('refuses a test set with labels the model never saw, and bad flags, with clear errors', async () => {
    const train = write('train2.jsonl', syntheticTexts(100, ['a1', 'b1'], 33));
    const test = write('test2.jsonl', [{ text: 'a1word1 hello', label: 'zzz' }]);
    const r = await runCli(['train', '--train', train, '--test', test], {}, 60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/test set has labels the model never saw: "zzz"/);
    const bad = await runCli(['train', '--train', train, '--test', test, '--learning-rate=-1'], {}, 60_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--learning-rate must be a finite number > 0, got -1/);
    const missing = await runCli(['train', '--train', path.join(dir, 'nope.jsonl'), '--test', test], {}, 60_000);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --train .*nope\.jsonl: ENOENT/);
  });
});
