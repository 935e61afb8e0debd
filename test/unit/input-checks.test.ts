/** Inputs refused at the edge with a message naming them: the serve token, the monitor's windows. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, serveToken } from '../../stack/config.ts';
import { checkOptions, monitorReport, MonitorRangeError } from '../../registry/live-metrics.ts';
import type { Queryable } from '../../registry/pool.ts';

describe('the serve token', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ns-token-'));
  it('from a file loses the trailing newline an editor or echo leaves', () => {
    const file = path.join(dir, 'token');
    writeFileSync(file, 'abcdefghijklmnopqrstuvwxyz012345\n');
    expect(serveToken({ NIGHTSHIFT_SERVE_TOKEN_FILE: file })).toBe('abcdefghijklmnopqrstuvwxyz012345');
    expect(loadConfig({ NIGHTSHIFT_SERVE_TOKEN_FILE: file }).serveToken).toBe('abcdefghijklmnopqrstuvwxyz012345');
    expect(serveToken({ NIGHTSHIFT_SERVE_TOKEN: 'abcdefghijklmnop\n' })).toBe('abcdefghijklmnop');
    expect(serveToken({})).toBeNull();
  });
  it('with whitespace inside (which no client could send) is refused at start, saying where', () => {
    expect(() => loadConfig({ NIGHTSHIFT_SERVE_TOKEN: 'abcdefgh ijklmnopq' })).toThrow(
      /^NIGHTSHIFT_SERVE_TOKEN contains whitespace \(" " at character 9\): a bearer token cannot/,
    );
    const file = path.join(dir, 'two-lines');
    writeFileSync(file, 'abcdefghijklmnopq\nrstuvwxyz\n');
    expect(() => serveToken({ NIGHTSHIFT_SERVE_TOKEN_FILE: file })).toThrow(
      /NIGHTSHIFT_SERVE_TOKEN_FILE \(.*two-lines\) contains whitespace/,
    );
    expect(() => serveToken({ NIGHTSHIFT_SERVE_TOKEN: ' abcdefghijklmnopq' })).toThrow(/contains whitespace/);
    expect(() => serveToken({ NIGHTSHIFT_SERVE_TOKEN: 'abcdefghijklmnopq', NIGHTSHIFT_SERVE_TOKEN_FILE: file })).toThrow(/not both/);
  });
});

describe('the monitor report windows', () => {
  const unused: Queryable = {
    query: () => {
      throw new Error('the database must not be asked');
    },
  } as unknown as Queryable;
  it('refuses a window or span PostgreSQL cannot represent before asking the database', async () => {
    expect(() => checkOptions({ windowSeconds: 100_000 * 86_400 })).toThrow(MonitorRangeError);
    expect(() => checkOptions({ windowSeconds: 365 * 86_400, windows: 200 })).toThrow(/window x windows must reach back at most 100 years/);
    expect(checkOptions({ windowSeconds: 86_400, windows: 365 }).windowSeconds).toBe(86_400);
    await expect(monitorReport(unused, 'm', { windowSeconds: 100_000 * 86_400 })).rejects.toThrow(MonitorRangeError);
  });
});
