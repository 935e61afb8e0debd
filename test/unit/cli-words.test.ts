import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describe, expect, it } from 'vitest';
import { editDistance, nearest } from '../../client/suggest.ts';
import { describeParseError, numberFlag, parse } from '../../client/commands/args.ts';
import { UsageError, withHelpHint } from '../../client/usage-error.ts';
import { formatAge } from '../../client/ages.ts';
import { cut, fitWidths, renderTable, visibleLength } from '../../client/table.ts';
import { paint } from '../../client/style.ts';

describe('suggestions', () => {
  it('count a swap of neighbours as one edit', () => {
    expect(editDistance('modle', 'model')).toBe(1);
    expect(editDistance('modle', 'mode')).toBe(1);
    expect(editDistance('versoin', 'version')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('rank the flag a user most likely meant', () => {
    // A swap keeps the length: --modle is --model typed fast, not --mode with a stray letter.
    expect(nearest('--modle', ['--mode', '--model', '--json'])).toBe('--model');
    expect(nearest('--modle', ['--model', '--mode', '--json'])).toBe('--model');
    expect(nearest('--versoin', ['--help', '-h', '--version', '-V'])).toBe('--version');
    // The start of a word is typed right more often than its end.
    expect(nearest('--jsn', ['--json', '--sn'])).toBe('--json');
    // An abbreviation of three letters or more.
    expect(nearest('--req', ['--reason', '--require-approval'])).toBe('--require-approval');
    expect(nearest('retrian', ['retrain', 'runs', 'models'])).toBe('retrain');
    expect(nearest('lst', ['list', 'show'])).toBe('list');
    expect(nearest('zzzzzz', ['retrain', 'runs'])).toBeNull();
    expect(nearest('--x', ['--model', '--json'])).toBeNull();
  });
});

describe('parseArgs errors', () => {
  const errorOf = (args: string[], options: NonNullable<ParseArgsConfig['options']>, allowPositionals = false): string => {
    try {
      parseArgs({ args, options, allowPositionals, strict: true });
    } catch (err) {
      return describeParseError(
        err as Error & { code?: string },
        Object.keys(options).map((k) => `--${k}`),
      );
    }
    throw new Error('parseArgs accepted it');
  };

  it("read like the CLI's own usage errors", () => {
    const options = { model: { type: 'string' as const }, mode: { type: 'string' as const }, wait: { type: 'boolean' as const } };
    expect(errorOf(['--modle', 'x'], options)).toBe('unknown option --modle (did you mean --model?)');
    expect(errorOf(['--model'], options)).toBe('--model needs a value');
    expect(errorOf(['--model', '--wait'], options)).toBe(
      '--model needs a value (for a value that starts with a dash, write --model=-VALUE)',
    );
    expect(errorOf(['--wait=yes'], options)).toBe('--wait takes no value');
    expect(errorOf(['stray'], options)).toBe('unexpected argument "stray" (this command takes options only)');
  });

  it('are usage errors, and the CLI ends them with the --help hint', () => {
    expect(() => parse(['--limit'], { limit: { type: 'string' } })).toThrow(UsageError);
    expect(() => parse(['--limit'], { limit: { type: 'string' } })).toThrow(/^--limit needs a value$/);
    expect(withHelpHint('--limit needs a value', 'runs')).toBe('--limit needs a value; run `nightshift runs --help`');
    expect(withHelpHint('unknown command "x"', null)).toBe('unknown command "x"; run `nightshift --help`');
    expect(withHelpHint('bad policy (see `nightshift models policy --help`)', 'retrain')).toBe(
      'bad policy (see `nightshift models policy --help`)',
    );
  });
});

describe('numberFlag', () => {
  it('is the flag as a number within bounds, or undefined when not given', () => {
    expect(numberFlag('rate', undefined, { min: 1 })).toBeUndefined();
    expect(numberFlag('rate', '2.5', { min: 0.1, max: 200 })).toBe(2.5);
    expect(() => numberFlag('rate', '500', { min: 0.1, max: 200 })).toThrow('--rate must be a number in 0.1..200, got "500"');
    expect(() => numberFlag('limit', '1.5', { min: 1, integer: true })).toThrow('--limit must be an integer >= 1, got "1.5"');
    expect(() => numberFlag('x', ' ', {})).toThrow('--x must be a number, got " "');
    expect(() => numberFlag('x', 'abc')).toThrow(UsageError);
  });
});

describe('ages', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('say how long ago, in the largest unit that reads well', () => {
    expect(formatAge('2026-03-01T11:59:59.500Z', now)).toBe('just now');
    expect(formatAge('2026-03-01T11:59:48Z', now)).toBe('12 s ago');
    expect(formatAge('2026-03-01T11:57:00Z', now)).toBe('3 min ago');
    expect(formatAge('2026-03-01T07:00:00Z', now)).toBe('5 h ago');
    expect(formatAge('2026-02-28T00:00:00Z', now)).toBe('36 h ago');
    expect(formatAge('2026-02-25T12:00:00Z', now)).toBe('4 days ago');
    expect(formatAge(new Date('2026-03-01T12:03:00Z'), now)).toBe('in 3 min');
    expect(formatAge(null, now)).toBeNull();
    expect(formatAge('not a time', now)).toBe('not a time');
  });
});

describe('tables', () => {
  const rows = [
    { id: 'retrain-spam-20260301T020000Z-with-a-long-suffix', status: 'COMPLETED', n: 12 },
    { id: 'retrain-spam-20260302T020000Z', status: 'RUNNING', n: 3 },
  ];
  const columns = [
    { header: 'RUN', value: (r: (typeof rows)[number]) => r.id },
    { header: 'STATUS', value: (r: (typeof rows)[number]) => r.status },
    { header: 'N', value: (r: (typeof rows)[number]) => r.n, align: 'right' as const },
  ];

  it('are not cut without a width (a pipe or a file)', () => {
    const text = renderTable(rows, columns, { width: null });
    expect(text.split('\n')[1]).toBe(`${rows[0].id}  COMPLETED  12`);
  });

  it('fit the width, cutting the widest shrinkable column with an ellipsis', () => {
    const text = renderTable(rows, columns, { width: 40 });
    const lines = text.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
    expect(lines[1]).toBe('retrain-spam-20260301T02…  COMPLETED  12');
    expect(lines[1]).toHaveLength(40);
    // Numbers (right-aligned) are never cut.
    expect(lines[2].endsWith(' 3')).toBe(true);
  });

  it("stop shrinking at a column's minimum, even when still too wide", () => {
    expect(fitWidths([50, 9, 2], [8, 8, 2], [true, true, false], 10, 4)).toEqual([8, 8, 2]);
    expect(fitWidths([30, 20], [8, 8], [true, true], 40, 2)).toEqual([19, 19]);
    expect(fitWidths([30, 20], [8, 8], [true, true], null, 2)).toEqual([30, 20]);
  });

  it('measure coloured cells by what shows', () => {
    const red = paint('FAILED', 'red', true);
    expect(visibleLength(red)).toBe(6);
    expect(cut(red, 10)).toBe(red);
    expect(cut('abcdefghij', 5)).toBe('abcd…');
    const text = renderTable(
      [{ o: red }, { o: 'PROMOTED' }],
      [
        { header: 'OUTCOME', value: (r: { o: string }) => r.o },
        { header: 'X', value: () => 'x' },
      ],
      {
        width: null,
      },
    );
    expect(text.split('\n')[1]).toBe(`${red}    x`);
  });
});
