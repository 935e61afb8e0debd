import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nearest } from '../../client/suggest.ts';
import { renderTable } from '../../client/table.ts';
import { colourEnabled, paint } from '../../client/style.ts';
import { findHome } from '../../stack/config.ts';
import { checkDuration, checkRetrainInput, DURATION_BOUNDS, InvalidInputError } from '../../workflows/validate-input.ts';
import { editPolicy } from '../../client/commands/models.ts';
import { defaultComparisonPolicy } from '../../ml/compare.ts';

describe('did you mean', () => {
  it('suggests the nearest known word only when it is a plausible typo', () => {
    expect(nearest('retrian', ['retrain', 'runs', 'models'])).toBe('retrain');
    expect(nearest('lst', ['list', 'show'])).toBe('list');
    expect(nearest('--modell', ['--model', '--mode', '--json'])).toBe('--model');
    expect(nearest('zzzzzz', ['retrain', 'runs'])).toBeNull();
  });
});

describe('tables', () => {
  it('have a header row and columns as wide as their widest cell', () => {
    const rows = [
      { name: 'a-very-long-model-name-that-would-break-a-fixed-layout', v: 3 },
      { name: 'spam', v: null },
    ];
    const text = renderTable(rows, [
      { header: 'MODEL', value: (r) => r.name },
      { header: 'V', value: (r) => r.v, align: 'right' },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`MODEL${' '.repeat(rows[0].name.length - 5)}  V`);
    expect(lines[1]).toBe(`${rows[0].name}  3`);
    expect(lines[2]).toBe(`spam${' '.repeat(rows[0].name.length - 4)}  -`);
  });
});

describe('colour', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  it('only on a terminal, never with NO_COLOR or TERM=dumb', () => {
    expect(colourEnabled(tty, {})).toBe(true);
    expect(colourEnabled(tty, { NO_COLOR: '' })).toBe(false);
    expect(colourEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(colourEnabled({ isTTY: false } as NodeJS.WriteStream, {})).toBe(false);
    expect(paint('x', 'red', true)).toBe('\u001b[31mx\u001b[0m');
    expect(paint('x', 'red', false)).toBe('x');
  });
});

describe('the state directory', () => {
  it('is the nearest .nightshift above the current directory, as git finds .git', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'ns-home-'));
    const deep = path.join(root, 'client', 'commands');
    mkdirSync(deep, { recursive: true });
    expect(findHome(deep)).toBe(path.join(deep, '.nightshift'));
    mkdirSync(path.join(root, '.nightshift'));
    expect(findHome(deep)).toBe(path.join(root, '.nightshift'));
    expect(findHome(root)).toBe(path.join(root, '.nightshift'));
  });
});

describe('run input checks', () => {
  it('accept what the CLI sends and refuse each bad field with its name', () => {
    expect(checkRetrainInput({ model: 'spam', trigger: 'manual', approval: { timeout: '24 hours', onTimeout: 'reject' } })).toBeTruthy();
    const bad: Array<[unknown, RegExp]> = [
      [null, /must be an object/],
      [{ model: '', trigger: 'manual' }, /model must be a non-empty string/],
      [{ model: 'm', trigger: 'cron' }, /trigger must be one of manual, schedule/],
      [{ model: 'm', trigger: 'manual', windowEnd: 'yesterday' }, /windowEnd must be an ISO time/],
      [{ model: 'm', trigger: 'manual', approval: { timeout: 'soon', onTimeout: 'reject' } }, /approval.timeout must be a duration/],
      [{ model: 'm', trigger: 'manual', approval: { timeout: '1h', onTimeout: 'maybe' } }, /approval.onTimeout must be approve or reject/],
      [{ model: 'm', trigger: 'manual', stepTimeout: '0s' }, /stepTimeout must be between 1s and 1 day/],
      [{ model: 'm', trigger: 'manual', hyperparameters: { epochs: 0 } }, /hyperparameters: epochs must be an integer in \[1, 10000\]/],
      [{ model: 'm', trigger: 'manual', hyperparameters: { learningRat: 1 } }, /unknown hyperparameter "learningRat"/],
      [
        { model: 'm', trigger: 'manual', policy: { absolute: [{ metric: 'f1' }], change: [] } },
        /policy: comparison policy: absolute rule for f1/,
      ],
    ];
    for (const [input, message] of bad) expect(() => checkRetrainInput(input), JSON.stringify(input)).toThrow(message);
    expect(() => checkRetrainInput({ model: 'm', trigger: 'manual', stepTimeout: '0s' })).toThrow(InvalidInputError);
  });

  it('durations: parsed as Temporal parses them, bounded, negative and zero refused', () => {
    expect(checkDuration('10m', 'x', DURATION_BOUNDS.approvalTimeout)).toBe(600_000);
    expect(checkDuration('24 hours', 'x', DURATION_BOUNDS.approvalTimeout)).toBe(86_400_000);
    for (const v of ['-5m', '0', '1000y', 'abc', '', 5])
      expect(() => checkDuration(v, '--x', DURATION_BOUNDS.approvalTimeout)).toThrow(/--x must be/);
  });
});

describe('policy flags', () => {
  it('edit the policy in force rule by rule', () => {
    const p = editPolicy(defaultComparisonPolicy, {
      'min-f1-improvement': '0.02',
      'max-accuracy-drop': '0.01',
      significance: '0.05',
      'min-accuracy': '0.9',
    });
    expect(p.change).toContainEqual({ metric: 'f1', minImprovement: 0.02 });
    expect(p.change).toContainEqual({ metric: 'accuracy', minImprovement: -0.01 });
    expect(p.absolute).toContainEqual({ metric: 'accuracy', min: 0.9 });
    expect(p.absolute.filter((r) => r.metric === 'accuracy')).toHaveLength(1);
    expect(p.significance).toEqual({ alpha: 0.05 });
    expect(editPolicy(p, { significance: 'none' }).significance).toBeUndefined();
    expect(() => editPolicy(p, { significance: '2' })).toThrow(/alpha must be in \(0, 1\)/);
    expect(() => editPolicy(p, { 'min-f1': 'high' })).toThrow(/--min-f1 must be a number/);
    expect(defaultComparisonPolicy.change).toContainEqual({ metric: 'f1', minImprovement: 0.001 });
  });
});

describe('schedule --cron', () => {
  it('takes five fields or a named schedule, and refuses six or seven fields (they start with seconds) naming the flag', async () => {
    const { buildSpec } = await import('../../client/schedules.ts');
    const { checkCron } = await import('../../client/cron.ts');
    const { UsageError } = await import('../../client/commands/args.ts');
    expect(checkCron(' 0 2 * * 1-5 ')).toBe('0 2 * * 1-5');
    expect(checkCron('@daily')).toBe('@daily');
    expect(buildSpec({ model: 'm', taskQueue: 'q', cron: '@weekly' }).cronExpressions).toEqual(['@weekly # retrain m']);
    for (const bad of ['* * * * * *', '0 0 2 * * ? *', '0 2 * *', '@every 1s', '0 2 * * * # x'])
      expect(() => buildSpec({ model: 'm', taskQueue: 'q', cron: bad }), bad).toThrow(UsageError);
    expect(() => checkCron('* * * * * * *')).toThrow(/^invalid --cron "\* \* \* \* \* \* \*": use 5 fields/);
  });
});
