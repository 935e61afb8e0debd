/**
 * The embedded Temporal: `temporal server start-dev` with its state in a SQLite file under
 * NIGHTSHIFT_HOME (runs and schedules survive a restart), the Web UI, and Nightshift's search
 * attributes registered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connectTemporal, PLAINTEXT, type TemporalEndpoint } from './temporal-connection.ts';
import { assertPortFree, freePort } from './ports.ts';
import { stopProcess } from './processes.ts';

export interface DevServerOptions {
  cli: string;
  home: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Search attributes registered at start (the workflows' own, from workflows/definitions.ts). */
  searchAttributes: ReadonlyArray<SearchAttributeSpec>;
  dynamicConfig?: string[];
  /**
   * The Web UI decodes payloads through this codec server (`--ui-codec-endpoint`): the model
   * server's /codec when NIGHTSHIFT_ENCRYPTION_KEY_FILE is set. See codecEndpointFor.
   */
  uiCodecEndpoint?: string | null;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s). */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now: for a second Ctrl-C. */
  kill(): void;
}

/** A search attribute's name and indexed type, as the SDK's defineSearchAttributeKey gives them. */
export interface SearchAttributeSpec {
  name: string;
  type: string;
}

export function searchAttributeArgs(attributes: ReadonlyArray<SearchAttributeSpec>): string[] {
  const typeName: Record<string, string> = {
    KEYWORD: 'Keyword',
    INT: 'Int',
    TEXT: 'Text',
    BOOL: 'Bool',
    DOUBLE: 'Double',
    DATETIME: 'Datetime',
    KEYWORD_LIST: 'KeywordList',
  };
  return attributes.flatMap((k) => ['--search-attribute', `${k.name}=${typeName[k.type]}`]);
}

/**
 * Waits until Temporal answers. `target` is an address (the embedded dev server, plaintext) or an
 * endpoint with its TLS settings. A TLS failure (untrusted certificate, client certificate
 * refused) will not go away by waiting: it is reported at once, naming the setting.
 */
export async function waitForTemporal(target: string | TemporalEndpoint, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const endpoint: TemporalEndpoint = typeof target === 'string' ? { address: target, security: PLAINTEXT } : target;
  const address = endpoint.address;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new Error(`temporal server exited (${child.exitCode ?? child.signalCode}) during start-up`);
    try {
      const connection = await connectTemporal(endpoint, 1000);
      try {
        await connection.workflowService.getSystemInfo({});
      } finally {
        await connection.close();
      }
      return;
    } catch (err) {
      if (
        endpoint.security?.tls &&
        /is not trusted|requires a client certificate|refused the TLS handshake|speaks TLS/.test((err as Error).message)
      )
        throw err;
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs / 1000}s: ${(lastError as Error)?.message ?? 'no answer'}`);
}

const pidFile = (home: string): string => path.join(home, 'temporal.pid');

/** Stops a dev server left running by a process that was killed (its pid file outlived it). */
async function stopOrphanedServer(home: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(home), 'utf8'));
  } catch {
    return;
  }
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // not running (or no /proc): nothing to stop
  }
  if (cmdline.includes('start-dev') && cmdline.includes(home)) await stopProcess(pid, 'SIGTERM');
  rmSync(pidFile(home), { force: true });
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  await stopOrphanedServer(o.home);
  await assertPortFree(o.port, 'Temporal frontend');
  await assertPortFree(o.uiPort, 'Temporal Web UI');
  mkdirSync(o.home, { recursive: true });
  const httpPort = await freePort();
  const metricsPort = await freePort();
  const log = openSync(path.join(o.home, 'temporal.log'), 'a');
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--ui-port',
    String(o.uiPort),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--db-filename',
    path.join(o.home, 'temporal.db'),
    '--namespace',
    o.namespace,
    '--log-level',
    'warn',
    ...searchAttributeArgs(o.searchAttributes),
    ...(o.dynamicConfig ?? []).flatMap((kv) => ['--dynamic-config-value', kv]),
    ...(o.uiCodecEndpoint ? ['--ui-codec-endpoint', o.uiCodecEndpoint] : []),
  ];
  // Its own process group: a Ctrl-C in the terminal reaches `nightshift up`, which stops the
  // worker first and the server last, instead of the server dying under a running worker.
  const child = spawn(o.cli, args, { stdio: ['ignore', log, log], detached: true });
  let spawnError: Error | null = null;
  child.once('error', (err: NodeJS.ErrnoException) => (spawnError = new Error(`cannot run ${o.cli}: ${err.code ?? err.message}`)));
  if (child.pid) writeFileSync(pidFile(o.home), String(child.pid));
  const address = `127.0.0.1:${o.port}`;
  // exitCode stays null when a signal ended it: a stop() must not wait for an 'exit' already past.
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null || spawnError !== null;
  const kill = (): void => {
    if (!exited()) child.kill('SIGKILL');
    rmSync(pidFile(o.home), { force: true });
  };
  try {
    await waitForTemporal(address, 60_000, child);
  } catch (err) {
    kill();
    throw spawnError ?? new Error(`${(err as Error).message} (see ${path.join(o.home, 'temporal.log')})`);
  }
  return {
    address,
    uiUrl: `http://127.0.0.1:${o.uiPort}`,
    process: child,
    stop: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        if (exited()) {
          rmSync(pidFile(o.home), { force: true });
          return resolve();
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(timer);
          rmSync(pidFile(o.home), { force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
    kill,
  };
}

/** The model server's codec endpoint for the dev server's Web UI, when payloads are encrypted. */
export function codecEndpointFor(env: NodeJS.ProcessEnv, serveHost: string, servePort: number): string | null {
  if (!env.NIGHTSHIFT_ENCRYPTION_KEY_FILE) return null;
  const host = serveHost === '0.0.0.0' || serveHost === '::' ? '127.0.0.1' : serveHost.includes(':') ? `[${serveHost}]` : serveHost;
  return `http://${host}:${servePort}/codec`;
}
