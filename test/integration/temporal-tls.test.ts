/**
 * Connections through real TLS: Debian's nginx terminates TLS (`grpc_pass`) in front of the dev
 * server, with certificates this test makes with openssl. The CLI and a worker process take
 * their settings from Temporal's environment configuration (TEMPORAL_TLS_* variables, or a TOML
 * profile), as a team would point them at Temporal Cloud or its own cluster. Wrong settings fail
 * closed, with a message that names the setting at fault.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from '../support/dirs.ts';
import { cliEnv, startTestStack, type TestStack } from '../support/services.ts';
import { importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { REPO, runCli } from '../support/cli.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';
import { makeCertificates, startTlsProxy, type Certificates, type TlsProxy } from '../support/tls-proxy.ts';
import type { RunResult } from '../../workflows/definitions.ts';

let stack: TestStack;
let certs: Certificates;
let proxy: TlsProxy;
let home: string;
let worker: WorkerProcess | null = null;

const tlsEnv = (): NodeJS.ProcessEnv => ({ TEMPORAL_ADDRESS: proxy.tlsAddress, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca });
const mtlsEnv = (): NodeJS.ProcessEnv => ({
  TEMPORAL_ADDRESS: proxy.mtlsAddress,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
  TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
  TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
});

beforeAll(async () => {
  const dir = tempDir(path.join(inject('stateDir'), 'tls-'));
  certs = makeCertificates(path.join(dir, 'certs'));
  proxy = await startTlsProxy(path.join(dir, 'nginx'), certs, inject('temporalAddress'));
  stack = await startTestStack({ inProcessWorker: false });
  home = path.join(dir, 'home');
  await importRows(stack.database.db, 'tls', syntheticTexts(300, ['on', 'off'], 7));
});

afterAll(async () => {
  worker?.kill('SIGTERM');
  await worker?.exited;
  await proxy?.stop();
  await stack?.stop();
});

describe('Temporal through TLS', () => {
  it('server-verified TLS: runs list connects with the CA from TEMPORAL_TLS_SERVER_CA_CERT_PATH', async () => {
    const r = await runCli(['runs', 'list', '--json'], { ...cliEnv(stack, home), ...tlsEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(Array.isArray((JSON.parse(r.stdout) as { runs: unknown[] }).runs)).toBe(true);
  });

  it('mutual TLS: a worker process and retrain --wait run a whole retraining through it', async () => {
    worker = await startWorkerProcess({
      temporalAddress: proxy.mtlsAddress,
      databaseUrl: stack.database.url,
      taskQueue: stack.taskQueue,
      home,
      env: mtlsEnv(),
    });
    expect(worker.output()).toMatch(/polling task queue .* \(TLS\)/);
    const r = await runCli(['retrain', '--model', 'tls', '--wait', '--json', '--buckets', '1024', '--epochs', '3'], {
      ...cliEnv(stack, home),
      ...mtlsEnv(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as RunResult).outcome).toBe('PROMOTED');
  });

  it('a TOML profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) gives the same mutual TLS settings', async () => {
    const file = path.join(home, 'temporal.toml');
    writeFileSync(
      file,
      `[profile.mtls]\naddress = "${proxy.mtlsAddress}"\nnamespace = "default"\n\n[profile.mtls.tls]\n` +
        `server_ca_cert_path = "${certs.ca}"\nclient_cert_path = "${certs.clientCert}"\nclient_key_path = "${certs.clientKey}"\n`,
    );
    const env: NodeJS.ProcessEnv = { ...cliEnv(stack, home), TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls' };
    delete env.TEMPORAL_ADDRESS;
    const r = await runCli(['runs', 'list', '--model', 'tls', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { runs: unknown[] }).runs).toHaveLength(1);
  });

  it('a wrong CA fails closed, naming TEMPORAL_TLS_SERVER_CA_CERT_PATH (client and worker)', async () => {
    const env = { ...tlsEnv(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.wrongCa };
    const r = await runCli(['runs', 'list', '--json'], { ...cliEnv(stack, home), ...env });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`not trusted: check TEMPORAL_TLS_SERVER_CA_CERT_PATH=${certs.wrongCa}`);

    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'worker.js')], {
      cwd: REPO,
      env: { ...process.env, ...env, DATABASE_URL: stack.database.url, NIGHTSHIFT_TASK_QUEUE: stack.taskQueue, NIGHTSHIFT_HOME: home },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain(`TEMPORAL_TLS_SERVER_CA_CERT_PATH=${certs.wrongCa}`);
  });

  it('no client certificate against mutual TLS fails closed, naming TEMPORAL_TLS_CLIENT_CERT_PATH', async () => {
    const r = await runCli(['runs', 'list', '--json'], {
      ...cliEnv(stack, home),
      TEMPORAL_ADDRESS: proxy.mtlsAddress,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/requires a client certificate \(mutual TLS\): set TEMPORAL_TLS_CLIENT_CERT_PATH/);
  });

  it('plaintext against a TLS port says to turn TLS on', async () => {
    const r = await runCli(['runs', 'list', '--json'], { ...cliEnv(stack, home), TEMPORAL_ADDRESS: proxy.tlsAddress });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/speaks TLS: set TEMPORAL_TLS=true/);
  });
});
