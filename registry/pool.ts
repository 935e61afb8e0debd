/**
 * The one database module: a pg Pool with short connect timeouts (an unreachable DATABASE_URL
 * fails in seconds, naming it), and a transaction helper that checks out one client and always
 * releases it.
 */
import pg from 'pg';

export type Db = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

export interface PoolOptions {
  max?: number;
  connectTimeoutMs?: number;
}

export function createPool(databaseUrl: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 5,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 10_000,
  });
  // An idle client losing its server (PostgreSQL restarted) emits here; without a listener the
  // process would crash. The next query gets a fresh connection.
  pool.on('error', () => undefined);
  return pool;
}

/** Redacts the password of a connection string for messages. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection cut while checked out (server restart, pg_terminate_backend) emits 'error' on the
  // client as well as failing the query in flight; without a listener the process would crash.
  const onError = (): void => undefined;
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', onError);
    client.release();
  }
}

/** Fails within the pool's connect timeout with a message naming the database. */
export async function checkDatabase(pool: pg.Pool, url: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    throw new Error(`cannot reach PostgreSQL at ${describeDatabaseUrl(url)}: ${(err as Error).message}`);
  }
}
