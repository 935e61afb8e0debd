import { describe, expect, it } from 'vitest';
import { NIGHTSHIFT_GRID, parseSuiteArgs, searchNightshift } from '../../bench/run-suite.ts';
import { holdOutEveryFifth } from '../../bench/suite/dataset.ts';
import { defaultTrainOptions } from '../../ml/train-options.ts';

describe('benchmark suite method', () => {
  it('carves the validation split from the training rows only', () => {
    const rows = Array.from({ length: 50 }, (_, i) => i);
    const split = holdOutEveryFifth(rows);
    const inner = holdOutEveryFifth(split.train);
    const test = new Set(split.test);
    expect([...inner.train, ...inner.test].some((r) => test.has(r))).toBe(false);
    expect([...inner.train, ...inner.test].sort((a, b) => a - b)).toEqual(split.train);
    expect(inner.test).toEqual(split.train.filter((_, i) => (i + 1) % 5 === 0));
  });

  it("searches a grid that holds Nightshift's defaults and picks the best validation macro-F1", async () => {
    expect(NIGHTSHIFT_GRID).toContainEqual({ learningRate: defaultTrainOptions.learningRate, l2: defaultTrainOptions.l2 });
    const words = ['alpha', 'beta', 'gamma', 'delta'];
    const rows = Array.from({ length: 200 }, (_, i) => ({
      text: `${words[i % 4]} item ${i % 7} ${i % 3 === 0 ? words[(i + 1) % 4] : ''}`,
      label: i % 4 < 2 ? 'a' : 'b',
    }));
    const split = holdOutEveryFifth(rows);
    const search = await searchNightshift(holdOutEveryFifth(split.train), {}, { epochs: 3 });
    expect(search.grid).toHaveLength(NIGHTSHIFT_GRID.length);
    const best = Math.max(...search.grid.map((g) => g.macroF1!));
    const chosen = search.grid.find((g) => g.params.learningRate === search.chosen!.learningRate && g.params.l2 === search.chosen!.l2)!;
    expect(chosen.macroF1).toBe(best);
  });

  it('parses its options and refuses bad ones', () => {
    expect(parseSuiteArgs(['--help'])).toBe('help');
    expect(parseSuiteArgs(['--sets', 'fortunes', '--repeats', '1', '--out', 'x.txt'])).toEqual({
      sets: ['fortunes'],
      repeats: 1,
      out: 'x.txt',
    });
    expect(() => parseSuiteArgs(['--repeats', '0'])).toThrow(/--repeats/);
    expect(() => parseSuiteArgs(['--logreg-max-classes', '1'])).toThrow(/--logreg-max-classes/);
    expect(() => parseSuiteArgs(['--bogus'])).toThrow(/unknown suite option/);
  });
});
