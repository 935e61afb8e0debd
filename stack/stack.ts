/**
 * The stack a command talks to: what the environment gives (TEMPORAL_ADDRESS, DATABASE_URL),
 * else what a running `nightshift up` with the same home advertises, else (for `up`, and for
 * registry commands' database) the embedded parts started here.
 */
import { mkdirSync } from 'node:fs';
import type { Config } from './config.ts';
import { checkDatabase, createPool, type Db } from '../activities/registry/pool.ts';
import { migrate } from '../activities/registry/migrate.ts';
import { getModel } from '../activities/registry/models.ts';
import { readStackFile } from './stack-file.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { canConnect } from './ports.ts';

export interface Registry {
  db: Db;
  databaseUrl: string;
  close(): Promise<void>;
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Opens the registry database (starting the embedded PostgreSQL if nothing else gives one) and migrates it. */
export async function openRegistry(config: Config): Promise<Registry> {
  let databaseUrl = config.databaseUrl ?? readStackFile(config.home)?.databaseUrl ?? null;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!databaseUrl) {
    mkdirSync(config.home, { recursive: true });
    const pg = await startEmbeddedPostgres(config.home, config.pgPort, log);
    databaseUrl = pg.databaseUrl;
    stopEmbedded = pg.stop;
  }
  const db = createPool(databaseUrl);
  try {
    await checkDatabase(db, databaseUrl);
    await migrate(db);
  } catch (err) {
    await db.end().catch(() => undefined);
    if (stopEmbedded) await stopEmbedded();
    throw err;
  }
  return {
    db,
    databaseUrl,
    close: async () => {
      await db.end();
      if (stopEmbedded) await stopEmbedded();
    },
  };
}

export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string | null;
}

/** The Temporal server a client command uses; fails fast with what to do when there is none. */
export async function resolveTemporal(config: Config): Promise<TemporalTarget> {
  if (config.temporalAddress) {
    const [host, portText] = config.temporalAddress.split(/:(?=\d+$)/);
    const reachable = await canConnect(host, Number(portText ?? 7233), 3000);
    if (!reachable) throw new Error(`cannot reach Temporal at TEMPORAL_ADDRESS=${config.temporalAddress}`);
    return { address: config.temporalAddress, namespace: config.namespace, taskQueue: config.taskQueue, uiUrl: null };
  }
  const stack = readStackFile(config.home);
  if (!stack) {
    throw new Error(`no running Nightshift stack in ${config.home}: start one with \`nightshift up\` (or set TEMPORAL_ADDRESS)`);
  }
  return { address: stack.temporalAddress, namespace: stack.namespace, taskQueue: stack.taskQueue, uiUrl: stack.uiUrl };
}

export function runUiLink(uiUrl: string | null, namespace: string, workflowId: string, runId?: string): string | null {
  if (!uiUrl) return null;
  const base = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
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
