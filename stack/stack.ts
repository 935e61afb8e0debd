/**
 * The stack a command talks to: what the environment gives (TEMPORAL_ADDRESS, DATABASE_URL),
 * else what a running `nightshift up` with the same home advertises, else (for `up`, and for
 * registry commands' database) the embedded parts started here. Opening the registry on that
 * database is registry/open.ts.
 */
import type { Config } from './config.ts';
import { readSharedDatabaseUrl, readStackFile } from './stack-file.ts';
import { canConnect } from './ports.ts';
import { PLAINTEXT, type TemporalSecurity } from './temporal-connection.ts';

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
export function givenDatabaseUrl(config: Config): string | null {
  if (config.databaseUrl) return withLibpqTls(config.databaseUrl);
  return readStackFile(config.home)?.database === 'external' ? readSharedDatabaseUrl(config.home) : null;
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
