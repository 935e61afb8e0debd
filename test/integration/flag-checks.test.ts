/**
 * Flag values refused by the flag checks, before anything is opened: DATABASE_URL points at
 * nothing, so a value let through to a later check would end with "cannot reach PostgreSQL"
 * (exit 1) instead of exit 2 naming the flag.
 */
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/dirs.ts';

const env = {
  DATABASE_URL: 'postgres://nobody:x@127.0.0.1:1/none',
  TEMPORAL_ADDRESS: '127.0.0.1:1',
  NIGHTSHIFT_HOME: tempDir(path.join(inject('stateDir'), 'flag-checks-')),
};

describe('flag checks', () => {
  it('refuse out-of-range values with exit 2 naming the flag, before reaching anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['models', 'policy', '--model', 'm', '--min-accuracy', '2', '--reason', 'x'], /--min-accuracy must be in \[0, 1\], got "2"/],
      [['models', 'policy', '--model', 'm', '--max-accuracy-drop=-0.1', '--reason', 'x'], /--max-accuracy-drop must be in \[0, 1\]/],
      [['models', 'policy', '--model', 'm', '--significance', '1', '--reason', 'x'], /--significance: alpha must be in \(0, 1\)/],
      [['monitor', 'policy', '--model', 'm', '--cooldown', '0', '--reason', 'x'], /--cooldown must be between 1s and 365 days, got "0"/],
      [['monitor', 'show', '--model', 'm', '--window', '100000d'], /--window must be a whole number of seconds from 1 to 31622400/],
      [['monitor', 'show', '--model', 'm', '--window', '365d', '--windows', '200'], /--window x windows must reach back at most 100 years/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
