/**
 * The embedded PostgreSQL of a home, shared by every process using that home: the first one
 * starts it (initdb the first time), each registers as a user, the last to leave stops it (see
 * home-lock.ts). Passwords are random per home (pg-credentials.ts); the application connects as
 * a role that is not a superuser. A process that supervises (nightshift up, a worker) restarts a
 * server that died, with backoff. Any failure while starting undoes what this call started.
 */
import path from 'node:path';
import pg from 'pg';
import { withHomeLock, liveUsers, registerUser, unregisterUser } from './home-lock.ts';
import { locatePgBinaries } from './pg-binaries.ts';
import {
  appDatabaseUrl,
  LEGACY_SUPERUSER_PASSWORD,
  loadOrCreateCredentials,
  PG_APP_ROLE,
  PG_DATABASE,
  PG_SUPERUSER,
  preparePrivateHome,
  superuserUrl,
  type PgCredentials,
} from './pg-credentials.ts';
import {
  claimDataDir,
  initCluster,
  pgDataDir,
  runningPostmaster,
  startServer,
  stopServer,
  sweepOrphanedData,
  type Postmaster,
} from './pg-server.ts';
import { isAlive } from './processes.ts';
import { shutdownGrace } from './shutdown-grace.ts';
import { existsSync } from 'node:fs';

export { pgDataDir } from './pg-server.ts';

export interface EmbeddedPg {
  /** The application's connection (a role that is not a superuser). */
  databaseUrl: string;
  /** The superuser's connection: for tests that create databases, never for the application. */
  adminUrl: string;
  dataDir: string;
  port: number;
  pid: number | null;
  /** Leaves the server; stops it (within the grace period) when no other process uses it. */
  stop(): Promise<void>;
  /** As stop(), but without waiting for clients: for a second Ctrl-C. */
  stopNow(): Promise<void>;
}

export interface EmbeddedPgOptions {
  /** Restart the server when it dies (with backoff, logging each step). */
  supervise?: boolean;
  graceMs?: number;
}

let references = 0;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a utility statement that needs a password literal, passing the password as a parameter. */
async function setRolePassword(client: pg.Client, role: string, password: string): Promise<void> {
  await client.query("SELECT set_config('nightshift.new_password', $1, false)", [password]);
  await client.query(`DO $$ BEGIN
    EXECUTE format('ALTER ROLE %I PASSWORD %L', '${role}', current_setting('nightshift.new_password'));
  END $$`);
  await client.query("SELECT set_config('nightshift.new_password', '', false)");
}

async function connectSuperuser(port: number, password: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: PG_SUPERUSER, password, database, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The superuser connection; a home created before per-home passwords has its password replaced once. */
async function adminConnection(port: number, credentials: PgCredentials, log: (line: string) => void): Promise<pg.Client> {
  try {
    return await connectSuperuser(port, credentials.superuserPassword, 'postgres');
  } catch (err) {
    if ((err as { code?: string }).code !== '28P01') throw err;
  }
  let legacy: pg.Client;
  try {
    legacy = await connectSuperuser(port, LEGACY_SUPERUSER_PASSWORD, 'postgres');
  } catch {
    throw new Error(
      "the embedded PostgreSQL does not accept this home's superuser password (postgres-credentials.json does not match its data)",
    );
  }
  log("replacing the embedded PostgreSQL's old constant superuser password with this home's random one");
  await setRolePassword(legacy, PG_SUPERUSER, credentials.superuserPassword);
  await legacy.end();
  return connectSuperuser(port, credentials.superuserPassword, 'postgres');
}

/** The application role (no superuser, no CREATEROLE) owning the application database and everything in it. */
async function bootstrapRoles(port: number, credentials: PgCredentials, log: (line: string) => void): Promise<void> {
  const admin = await adminConnection(port, credentials, log);
  try {
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${PG_APP_ROLE}') THEN
        CREATE ROLE ${PG_APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
      END IF;
    END $$`);
    await setRolePassword(admin, PG_APP_ROLE, credentials.appPassword);
    const db = await admin.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [
      PG_DATABASE,
    ]);
    if (db.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${PG_DATABASE} OWNER ${PG_APP_ROLE}`);
      return;
    }
    if (db.rows[0].owner === PG_APP_ROLE) return;
    // A database made before the application role existed: hand it and its tables over.
    await admin.query(`ALTER DATABASE ${PG_DATABASE} OWNER TO ${PG_APP_ROLE}`);
    const inDb = await connectSuperuser(port, credentials.superuserPassword, PG_DATABASE);
    try {
      await inDb.query(`DO $$ DECLARE r record; BEGIN
        FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND pg_get_userbyid(c.relowner) <> '${PG_APP_ROLE}'
        LOOP
          EXECUTE format('ALTER %s public.%I OWNER TO ${PG_APP_ROLE}',
            CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, r.relname);
        END LOOP;
      END $$`);
    } finally {
      await inDb.end();
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}

interface HomeServer {
  home: string;
  dataDir: string;
  logFile: string;
  credentials: PgCredentials;
  port: number;
  pid: number;
}

/** The home's running server, or one started now (initdb first if the data directory is new). Call holding the lock. */
async function ensureServer(
  home: string,
  port: number,
  credentials: PgCredentials,
  log: (line: string) => void,
): Promise<Postmaster & { started: boolean }> {
  const dataDir = pgDataDir(home);
  const running = runningPostmaster(dataDir);
  if (running) return { ...running, started: false };
  const bin = locatePgBinaries(log);
  const logFile = path.join(home, 'postgres.log');
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising PostgreSQL ${bin.version} in ${dataDir}`);
    await initCluster(bin, dataDir, home, credentials.superuserPassword, logFile);
  }
  return { ...(await startServer(bin, dataDir, port, credentials.superuserPassword, logFile)), started: true };
}

/** Restarts the server whenever it is found dead, waiting 1 s, 2 s, 4 s ... (at most 30 s) between failed attempts. */
function supervise(server: HomeServer, log: (line: string) => void): () => void {
  let stopped = false;
  void (async () => {
    let failures = 0;
    while (!stopped) {
      await sleep(1000);
      if (stopped || isAlive(server.pid)) continue;
      log(`embedded PostgreSQL (pid ${server.pid}) has stopped; restarting it on port ${server.port}`);
      while (!stopped) {
        const delay = Math.min(30_000, 1000 * 2 ** failures);
        try {
          const restarted = await withHomeLock(server.home, () => ensureServer(server.home, server.port, server.credentials, log));
          server.pid = restarted.pid;
          log(`embedded PostgreSQL is back (pid ${restarted.pid})`);
          failures = 0;
          break;
        } catch (err) {
          failures++;
          log(`embedded PostgreSQL did not restart (${(err as Error).message.split('\n')[0]}); next attempt in ${delay / 1000}s`);
          await sleep(delay);
        }
      }
    }
  })();
  return () => {
    stopped = true;
  };
}

/** Leaves the server; the last user stops it. Bounded: a lock held too long is not waited for. */
async function release(server: HomeServer, userId: string, graceMs: number): Promise<void> {
  try {
    await withHomeLock(
      server.home,
      async () => {
        unregisterUser(server.home, userId);
        if (liveUsers(server.home).length > 0) return;
        const running = runningPostmaster(server.dataDir);
        if (running) await stopServer(running, graceMs);
      },
      graceMs + 2000,
    );
  } catch {
    unregisterUser(server.home, userId);
  }
}

/** Starts (or joins) the home's embedded PostgreSQL; see the module comment. */
export async function startEmbeddedPostgres(
  home: string,
  port: number,
  log: (line: string) => void,
  options: EmbeddedPgOptions = {},
): Promise<EmbeddedPg> {
  const graceMs = options.graceMs ?? shutdownGrace().ms;
  preparePrivateHome(home);
  const { credentials } = loadOrCreateCredentials(home);
  const userId = `${process.pid}-${++references}`;
  let dataDir = pgDataDir(home);
  const server = await withHomeLock(home, async (): Promise<HomeServer> => {
    // The data follows the home by the id stored in it (a renamed home keeps its registry).
    claimDataDir(home, log);
    dataDir = pgDataDir(home);
    registerUser(home, userId);
    let started: (Postmaster & { started: boolean }) | null = null;
    try {
      started = await ensureServer(home, port, credentials, log);
      await bootstrapRoles(started.port, credentials, log);
      return { home, dataDir, logFile: path.join(home, 'postgres.log'), credentials, port: started.port, pid: started.pid };
    } catch (err) {
      unregisterUser(home, userId);
      if (started?.started && liveUsers(home).length === 0) await stopServer(started, 2000);
      throw new Error(
        `embedded PostgreSQL did not start (data in ${dataDir}, log in ${path.join(home, 'postgres.log')}): ${(err as Error).message}`,
      );
    }
  });
  // After this home claimed its data: data of homes no longer where they were is set aside, never deleted.
  sweepOrphanedData(log);
  const stopSupervising = options.supervise ? supervise(server, log) : () => undefined;
  let released: Promise<void> | null = null;
  const leave = (): Promise<void> => {
    stopSupervising();
    released ??= release(server, userId, graceMs);
    return released;
  };
  // A second Ctrl-C: no lock, no waiting for clients; the server goes if nobody else uses it.
  const leaveNow = async (): Promise<void> => {
    stopSupervising();
    unregisterUser(home, userId);
    const running = runningPostmaster(dataDir);
    if (running && liveUsers(home).length === 0) await stopServer(running, 0);
  };
  return {
    databaseUrl: appDatabaseUrl(credentials, server.port),
    adminUrl: superuserUrl(credentials, server.port),
    dataDir,
    port: server.port,
    pid: server.pid,
    stop: leave,
    stopNow: leaveNow,
  };
}
