/**
 * The stack a command talks to: what the environment gives (TEMPORAL_ADDRESS, DATABASE_URL),
 * else what a running `nightshift up` with the same home advertises, else (for `up`, and for
 * registry commands' database) the embedded parts started here.
 */
import type { Config } from './config.ts';
import { checkDatabase, createPool, type Db } from '../activities/registry/pool.ts';
import { migrate } from '../activities/registry/migrate.ts';
import { getModel } from '../activities/registry/models.ts';
import { readSharedDatabaseUrl, readStackFile } from './stack-file.ts';
import { startEmbeddedPostgres, type EmbeddedPg } from './embedded-postgres.ts';
import { canConnect } from './ports.ts';
import { PLAINTEXT, type TemporalSecurity } from './temporal-connection.ts';

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
 * libpq's TLS variables into a URL that gives none (node-postgres reads sslmode, sslrootcert,
 * sslcert and sslkey from the URL, not from PGSSLROOTCERT and friends), so DATABASE_URL and the
 * variables a psql user already has both work. Parameters in the URL win.
 */
export function withLibpqTls(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const names: Array<[string, string]> = [
    ['sslmode', 'PGSSLMODE'],
    ['sslrootcert', 'PGSSLROOTCERT'],
    ['sslcert', 'PGSSLCERT'],
    ['sslkey', 'PGSSLKEY'],
  ];
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  for (const [param, variable] of names) if (env[variable] && !u.searchParams.has(param)) u.searchParams.set(param, env[variable]!);
  return u.toString();
}

/** DATABASE_URL, else the one a running `up` with this home shares (readable by the home's owner only), else null (embedded). */
function givenDatabaseUrl(config: Config): string | null {
  if (config.databaseUrl) return withLibpqTls(config.databaseUrl);
  return readStackFile(config.home)?.database === 'external' ? readSharedDatabaseUrl(config.home) : null;
}

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

export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string | null;
  /** TLS, API key, gRPC metadata (stack/temporal-connection.ts); absent: plaintext (the embedded dev server). */
  security?: TemporalSecurity;
}

/**
 * The Temporal server a client command uses: the environment's (TEMPORAL_ADDRESS or a TOML
 * profile, with its TLS and API key), else the home's running stack; fails fast with what to do
 * when there is none.
 */
export async function resolveTemporal(config: Config): Promise<TemporalTarget> {
  if (config.temporalAddress) {
    const [host, portText] = config.temporalAddress.split(/:(?=\d+$)/);
    const reachable = await canConnect(host, Number(portText ?? 7233), 3000);
    if (!reachable) throw new Error(`cannot reach Temporal at TEMPORAL_ADDRESS=${config.temporalAddress}`);
    return {
      address: config.temporalAddress,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      uiUrl: null,
      security: config.temporalSecurity,
    };
  }
  const stack = readStackFile(config.home);
  if (!stack) {
    throw new Error(`no running Nightshift stack in ${config.home}: start one with \`nightshift up\` (or set TEMPORAL_ADDRESS)`);
  }
  // The stack file names the embedded dev server (plaintext, loopback), or the address `up` was
  // given: then the environment's TLS settings apply, as they did for `up`.
  return {
    address: stack.temporalAddress,
    namespace: stack.namespace,
    taskQueue: stack.taskQueue,
    uiUrl: stack.uiUrl,
    security: stack.uiUrl ? PLAINTEXT : config.temporalSecurity,
  };
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
