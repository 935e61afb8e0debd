/**
 * Opens the registry on the database the stack names (stack/stack.ts givenDatabaseUrl: DATABASE_URL
 * or the home's running `up`), else on the home's embedded PostgreSQL, and migrates it.
 */
import type { Config } from '../stack/config.ts';
import { startEmbeddedPostgres, type EmbeddedPg } from '../stack/embedded-postgres.ts';
import { givenDatabaseUrl } from '../stack/stack.ts';
import { checkDatabase, createPool, type Db } from './pool.ts';
import { migrate } from './migrate.ts';
import { getModel } from './models.ts';

export interface Registry {
  db: Db;
  databaseUrl: string;
  /** Whether this is the home's embedded PostgreSQL (shared with the home's other processes). */
  embedded: boolean;
  /** Closes the pool and leaves the embedded server (stopping it, within the grace period, if nobody else uses it). */
  close(): Promise<void>;
  /** As close(), without waiting for anything: for a second Ctrl-C. */
  closeNow(): Promise<void>;
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * Opens the registry database and migrates it: DATABASE_URL, or the home's embedded PostgreSQL
 * (joined if another process of the home runs it, started otherwise). With `supervise`, a dead
 * embedded server is restarted (nightshift up, workers).
 */
export async function openRegistry(config: Config, options: { supervise?: boolean } = {}): Promise<Registry> {
  let databaseUrl = givenDatabaseUrl(config);
  let embedded: EmbeddedPg | null = null;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(config.home, config.pgPort, log, { supervise: options.supervise ?? false });
    databaseUrl = embedded.databaseUrl;
  }
  const db = createPool(databaseUrl);
  try {
    await checkDatabase(db, databaseUrl);
    await migrate(db);
  } catch (err) {
    await db.end().catch(() => undefined);
    if (embedded) await embedded.stop();
    throw err;
  }
  return {
    db,
    databaseUrl,
    embedded: embedded !== null,
    close: async () => {
      await db.end().catch(() => undefined);
      if (embedded) await embedded.stop();
    },
    closeNow: async () => {
      void db.end().catch(() => undefined);
      if (embedded) await embedded.stopNow();
    },
  };
}

/** Fails with the registry's "unknown model" message (listing known ones) before anything starts. */
export async function assertModelExists(config: Config, name: string): Promise<void> {
  const registry = await openRegistry(config);
  try {
    await getModel(registry.db, name);
  } finally {
    await registry.close();
  }
}
