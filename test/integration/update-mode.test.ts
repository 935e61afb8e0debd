/**
 * Updating a model with new data: retrain --mode update continues the production version on the
 * window's new rows and a seeded replay sample of older ones, records the mode in the version's
 * lineage, and refuses what it cannot do; a model's default mode is a setting.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from '../support/dirs.ts';
import { cliEnv, startTestStack, type TestStack } from '../support/services.ts';
import { importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { runCli } from '../support/cli.ts';
import type { RunResult } from '../../workflows/definitions.ts';
import { getModel } from '../../registry/models.ts';

let stack: TestStack;
let env: NodeJS.ProcessEnv;
const labels = ['on', 'off'];
const lenient = path.join(tempDir(path.join(inject('stateDir'), 'update-policy-')), 'lenient.json');

beforeAll(async () => {
  stack = await startTestStack();
  env = { ...cliEnv(stack, tempDir(path.join(inject('stateDir'), 'update-'))) };
  writeFileSync(lenient, JSON.stringify({ absolute: [{ metric: 'accuracy', min: 0 }], change: [] }));
});
afterAll(async () => {
  await stack?.stop();
});

const retrain = async (args: string[]): Promise<RunResult> => {
  const r = await runCli(['retrain', '--model', 'upd', '--wait', '--json', '--policy', lenient, ...args], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as RunResult;
};

async function trainSplitRows(afterId: number, toId: number): Promise<number> {
  const m = await getModel(stack.database.db, 'upd');
  const { rows } = await stack.database.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM examples WHERE model_id = $1 AND id > $2 AND id <= $3 AND split = 'train'`,
    [m.id, afterId, toId],
  );
  return Number(rows[0].n);
}

describe('update mode', () => {
  it('continues the champion on the new rows plus a replay sample, and says so in the lineage', async () => {
    await importRows(stack.database.db, 'upd', syntheticTexts(400, labels, 1));
    const full = await retrain(['--buckets', '2048']);
    expect(full.training).toMatchObject({ mode: 'full', warmStartFrom: null, replayRows: 0 });
    expect(full.training!.trainRows).toBe(await trainSplitRows(0, 1e9));

    await importRows(stack.database.db, 'upd', syntheticTexts(200, labels, 2));
    const update = await retrain(['--mode', 'update', '--replay-share', '0.5']);
    const newTrain = update.training!.trainRows - update.training!.replayRows;
    expect(update.training).toMatchObject({ mode: 'update', warmStartFrom: 1 });
    expect(newTrain).toBeGreaterThan(100);
    // Half of the training set is replayed older rows (as many as the new ones), seeded.
    expect(update.training!.replayRows).toBe(newTrain);
    const text = await runCli(['runs', 'show', update.workflowId], env);
    expect(text.stdout).toMatch(new RegExp(`training: update of v1 on ${newTrain} new \\+ ${newTrain} replayed rows`));

    const fixed = await (async () => {
      await importRows(stack.database.db, 'upd', syntheticTexts(100, labels, 3));
      return retrain(['--mode', 'update', '--replay-size', '7']);
    })();
    expect(fixed.training).toMatchObject({ mode: 'update', replayRows: 7 });
  });

  it("a model's default mode applies to runs that name none", async () => {
    const shown = await runCli(['models', 'mode', '--model', 'upd', '--json'], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ trainingMode: 'full', changedBy: null });
    const set = await runCli(['models', 'mode', '--model', 'upd', '--set', 'update', '--reason', 'nightly updates', '--actor', 'ann'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/in update mode .* \(set by person:ann: nightly updates\)/);
    await importRows(stack.database.db, 'upd', syntheticTexts(100, labels, 4));
    const run = await retrain([]);
    expect(run.training!.mode).toBe('update');
    await importRows(stack.database.db, 'upd', syntheticTexts(100, labels, 5));
    expect((await retrain(['--mode', 'full'])).training!.mode).toBe('full');
  });

  it('refuses what it cannot do: a changed featurizer fails the run; bad flags are usage errors', async () => {
    await importRows(stack.database.db, 'upd', syntheticTexts(100, labels, 6));
    const changed = await runCli(['retrain', '--model', 'upd', '--wait', '--mode', 'update', '--buckets', '1024'], env);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/InvalidOptions in trainCandidate: update mode keeps the model's featurizer/);
    const cases: Array<[string[], RegExp]> = [
      [['--mode', 'partial'], /--mode must be one of full, update/],
      [['--mode', 'update', '--replay-share', '1'], /--replay-share must be in \[0, 1\)/],
      [['--mode', 'update', '--replay-size', '1.5'], /--replay-size must be an integer >= 0/],
      [['--mode', 'full', '--replay-size', '10'], /apply to --mode update only/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['retrain', '--model', 'upd', ...args], env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('a full retrain bounded by --history-rows trains on the most recent training rows only', async () => {
    await importRows(stack.database.db, 'upd', syntheticTexts(100, labels, 7));
    const bounded = await retrain(['--mode', 'full', '--history-rows', '150']);
    expect(bounded.training).toMatchObject({ mode: 'full', trainRows: 150 });
    // The bound bit: the model has many more training rows than that.
    expect(await trainSplitRows(0, 1e12)).toBeGreaterThan(600);
  });
});
