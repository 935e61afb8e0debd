/**
 * How every process connects to Temporal, the way Temporal's own tools do: `@temporalio/envconfig`
 * reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_GRPC_META_*
 * and the TOML profiles of TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE (the same settings work for the
 * `temporal` CLI). One profile gives the options of both `Connection.connect` (clients, the model
 * server) and `NativeConnection.connect` (workers), plus the data converter (the payload codec
 * when NIGHTSHIFT_ENCRYPTION_KEY_FILE is set). With nothing set, nothing here applies: the
 * embedded dev server is plaintext on loopback.
 */
import { existsSync, readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { isIP } from 'node:net';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { TLSConfig } from '@temporalio/client';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEncryptionCodec } from './payload-codec.ts';

/** What a connection needs besides the address; PLAINTEXT for the embedded dev server. */
export interface TemporalSecurity {
  /** null: no TLS. */
  tls: TLSConfig | null;
  apiKey: string | null;
  metadata: Record<string, string>;
  /** For messages: which settings gave the TLS files (env variable or TOML key). */
  settings: { serverCa: string | null; clientCert: string | null };
}

export const PLAINTEXT: TemporalSecurity = { tls: null, apiKey: null, metadata: {}, settings: { serverCa: null, clientCert: null } };

export interface TemporalProfile {
  /** null: none configured (the embedded stack, or the stack file of a running `up`). */
  address: string | null;
  namespace: string | null;
  security: TemporalSecurity;
}

type TlsFile = 'serverCACert' | 'clientCert' | 'clientKey';

const SETTING: Record<TlsFile, { env: string; toml: string }> = {
  serverCACert: { env: 'TEMPORAL_TLS_SERVER_CA_CERT', toml: 'tls.server_ca_cert' },
  clientCert: { env: 'TEMPORAL_TLS_CLIENT_CERT', toml: 'tls.client_cert' },
  clientKey: { env: 'TEMPORAL_TLS_CLIENT_KEY', toml: 'tls.client_key' },
};

/** The name a user set: the env variable when it is set, else the TOML key (of which profile, in which file). */
function settingName(file: TlsFile, source: ConfigDataSource | undefined, env: Record<string, string>, where: string): string {
  const kind = source && 'path' in source ? 'PATH' : 'DATA';
  const variable = `${SETTING[file].env}_${kind}`;
  if (env[variable]) return `${variable}=${kind === 'PATH' ? env[variable] : '(inline)'}`;
  return `${SETTING[file].toml}_${kind.toLowerCase()} in ${where}`;
}

function readTlsFile(file: TlsFile, source: ConfigDataSource | undefined, env: Record<string, string>, where: string): Buffer | undefined {
  if (!source) return undefined;
  if ('data' in source) return Buffer.from(source.data);
  try {
    return readFileSync(source.path);
  } catch (err) {
    throw new Error(
      `${settingName(file, source, env, where)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/** Empty variables count as unset, as they always have here (TEMPORAL_ADDRESS= means "embedded"). */
function setVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

/** Reads the profile: env variables over the TOML profile. Throws naming the setting at fault. */
export function loadTemporalProfile(env: NodeJS.ProcessEnv = process.env): TemporalProfile {
  const vars = setVariables(env);
  const where = `profile "${vars.TEMPORAL_PROFILE ?? 'default'}" of ${vars.TEMPORAL_CONFIG_FILE ?? 'the default temporal.toml'}`;
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: vars });
  } catch (err) {
    throw new Error(`Temporal configuration (TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE): ${(err as Error).message}`);
  }
  const tlsSettings = profile.tls;
  const apiKey = profile.apiKey || null;
  // As the SDK's envconfig: TLS when a TLS setting is given (and not disabled), or with an API key.
  const tlsOn = tlsSettings ? tlsSettings.disabled !== true : apiKey !== null;
  let tls: TLSConfig | null = null;
  const settings: TemporalSecurity['settings'] = { serverCa: null, clientCert: null };
  if (tlsOn) {
    const ca = readTlsFile('serverCACert', tlsSettings?.serverCACert, vars, where);
    const crt = readTlsFile('clientCert', tlsSettings?.clientCert, vars, where);
    const key = readTlsFile('clientKey', tlsSettings?.clientKey, vars, where);
    // The SDK would silently drop half a pair and connect without a client certificate.
    if (crt && !key)
      throw new Error(`${settingName('clientCert', tlsSettings?.clientCert, vars, where)} is set but TEMPORAL_TLS_CLIENT_KEY_PATH is not`);
    if (key && !crt)
      throw new Error(`${settingName('clientKey', tlsSettings?.clientKey, vars, where)} is set but TEMPORAL_TLS_CLIENT_CERT_PATH is not`);
    if (ca) settings.serverCa = settingName('serverCACert', tlsSettings?.serverCACert, vars, where);
    if (crt) settings.clientCert = settingName('clientCert', tlsSettings?.clientCert, vars, where);
    tls = {
      ...(tlsSettings?.serverName ? { serverNameOverride: tlsSettings.serverName } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
  }
  return {
    address: profile.address || null,
    namespace: profile.namespace || null,
    security: { tls, apiKey, metadata: profile.grpcMeta ?? {}, settings },
  };
}

export interface TemporalEndpoint {
  address: string;
  /** Absent: plaintext (the embedded dev server). */
  security?: TemporalSecurity;
}

export function clientConnectionOptions(target: TemporalEndpoint, connectTimeoutMs = 5000): ConnectionOptions {
  const s = target.security ?? PLAINTEXT;
  return {
    address: target.address,
    connectTimeout: connectTimeoutMs,
    ...(s.tls ? { tls: s.tls } : {}),
    ...(s.apiKey ? { apiKey: s.apiKey } : {}),
    ...(Object.keys(s.metadata).length ? { metadata: s.metadata } : {}),
  };
}

export function nativeConnectionOptions(target: TemporalEndpoint): NativeConnectionOptions {
  const s = target.security ?? PLAINTEXT;
  return {
    address: target.address,
    ...(s.tls ? { tls: s.tls } : {}),
    ...(s.apiKey ? { apiKey: s.apiKey } : {}),
    ...(Object.keys(s.metadata).length ? { metadata: s.metadata } : {}),
  };
}

type Probe = 'untrusted' | 'client-certificate-refused' | 'client-certificate-required' | 'tls-ok' | 'speaks-tls' | 'other';

const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH/;

/**
 * Why a connection failed, found by doing the TLS handshake and one gRPC request by hand: the
 * SDK's errors ("Failed to connect before the deadline", "400 Bad Request") rarely say. A proxy
 * such as nginx with `ssl_verify_client on` completes the handshake without a client certificate
 * and answers 400; a stricter one refuses the handshake with an alert.
 */
function probe(target: TemporalEndpoint, timeoutMs = 3000): Promise<Probe> {
  const s = target.security ?? PLAINTEXT;
  const [host, port] = target.address.split(/:(?=\d+$)/);
  const tls = s.tls ?? {};
  const servername = tls.serverNameOverride ?? (isIP(host.replace(/^\[|\]$/g, '')) ? undefined : host);
  return new Promise<Probe>((resolve) => {
    let done = false;
    const finish = (result: Probe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('other'), timeoutMs);
    const session = http2.connect(`https://${host}:${port ?? 7233}`, {
      ...(tls.serverRootCACertificate ? { ca: Buffer.from(tls.serverRootCACertificate) } : {}),
      ...(tls.clientCertPair ? { cert: Buffer.from(tls.clientCertPair.crt), key: Buffer.from(tls.clientCertPair.key) } : {}),
      ...(servername ? { servername } : {}),
      // Plaintext configured: does the server speak TLS at all? (Any certificate will do to know.)
      rejectUnauthorized: s.tls !== null,
    });
    session.on('error', (err: NodeJS.ErrnoException) => {
      if (s.tls === null) return finish('other');
      if (CERTIFICATE_CODES.test(err.code ?? '')) return finish('untrusted');
      if (/alert|certificate required|handshake failure|bad certificate/i.test(err.message)) return finish('client-certificate-refused');
      finish('other');
    });
    session.on('connect', () => {
      if (s.tls === null) return finish('speaks-tls');
      const request = session.request({
        ':method': 'POST',
        ':path': '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      request.on('response', (headers) =>
        finish(headers[':status'] === 400 && !tls.clientCertPair ? 'client-certificate-required' : 'tls-ok'),
      );
      request.on('error', () => finish('other'));
      request.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  });
}

/**
 * A connection failure, said with the setting to look at: TLS failures surface from grpc-js or
 * rustls as messages that name neither the CA file nor the client certificate.
 */
export async function explainConnectError(err: unknown, target: TemporalEndpoint): Promise<Error> {
  const message = (err as Error)?.message ?? String(err);
  const s = target.security ?? PLAINTEXT;
  const base = `cannot connect to Temporal at ${target.address}${s.tls ? ' (TLS)' : ''}: ${message}`;
  const found = await probe(target).catch((): Probe => 'other');
  const caSetting = s.settings.serverCa ?? 'TEMPORAL_TLS_SERVER_CA_CERT_PATH (unset: the system CAs)';
  switch (found) {
    case 'speaks-tls':
      return new Error(`${base}. The server speaks TLS: set TEMPORAL_TLS=true (and TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA)`);
    case 'untrusted':
      return new Error(`${base}. The server's certificate is not trusted: check ${caSetting} (and TEMPORAL_TLS_SERVER_NAME)`);
    case 'client-certificate-required':
      return new Error(
        `${base}. The server requires a client certificate (mutual TLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`,
      );
    case 'client-certificate-refused':
      return new Error(
        `${base}. The server refused the TLS handshake: ${s.settings.clientCert ? `check the client certificate ${s.settings.clientCert} (and TEMPORAL_TLS_CLIENT_KEY_PATH)` : 'it may require a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH'}`,
      );
    default:
      return new Error(base);
  }
}

/** A client connection (grpc-js): client commands and the model server. */
export async function connectTemporal(target: TemporalEndpoint, connectTimeoutMs = 5000): Promise<Connection> {
  try {
    return await Connection.connect(clientConnectionOptions(target, connectTimeoutMs));
  } catch (err) {
    throw await explainConnectError(err, target);
  }
}

/** A worker connection (the SDK core in Rust; the worker package loads here, not with the client's connection). */
export async function connectTemporalNative(target: TemporalEndpoint): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  try {
    return await NativeConnection.connect(nativeConnectionOptions(target));
  } catch (err) {
    throw await explainConnectError(err, target);
  }
}

/**
 * The compiled encoded-failure-converter.cjs: beside this module when running from dist/, else
 * (sources through tsx, tests) the build's, since Node cannot require() TypeScript.
 */
function failureConverterPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'encoded-failure-converter.cjs');
  return existsSync(beside) ? beside : path.join(here, '..', 'dist', 'stack', 'encoded-failure-converter.cjs');
}

export const FAILURE_CONVERTER_PATH = failureConverterPath();

/**
 * The data converter of clients, workers and the model server: with NIGHTSHIFT_ENCRYPTION_KEY_FILE,
 * the AES-256-GCM codec, and failure messages and stacks encoded so that the codec encrypts them
 * too (the SDK loads that failure converter by path, and the workflow bundle includes it).
 * Without the variable, the SDK's default.
 */
export function temporalDataConverter(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = loadEncryptionCodec(env);
  if (!codec) return undefined;
  if (!existsSync(FAILURE_CONVERTER_PATH)) throw new Error(`${FAILURE_CONVERTER_PATH} is missing: run \`npm run build\``);
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}
