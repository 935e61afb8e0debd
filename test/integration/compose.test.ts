/**
 * docker-compose.yml and the Dockerfile. No Docker engine runs here, so the stack itself is not
 * started: Debian's docker-compose validates the file (with .env.example as its env file), and
 * the Nightshift services' own command lines and environments, read from `docker-compose config`,
 * are run as processes from the repository (the image's /app has the same bin/ and dist/) against
 * the test's PostgreSQL and Temporal: the compose hostnames are mapped to local addresses, and
 * 0.0.0.0 to loopback. The setup job migrates and creates a schedule, a worker from the compose
 * command runs a retraining, and the images' health checks pass against those processes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO, runCli } from '../support/cli.ts';
import { tempDir } from '../support/dirs.ts';
import { startTestStack, type TestStack } from '../support/services.ts';
import { importRows } from '../support/runs.ts';
import { syntheticTexts } from '../support/synthetic.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from '../../stack/ports.ts';
import type { RunResult } from '../../workflows/definitions.ts';

interface ComposeService {
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | null>;
  ports?: Array<{ host_ip?: string; published?: string | number; target?: number } | string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
}

const ENV_FILE = path.join(REPO, '.env.example');
const compose = (args: string[]): string =>
  execFileSync('docker-compose', ['--env-file', ENV_FILE, ...args], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** `docker-compose config` as JSON (through PyYAML, which Debian's docker-compose itself runs on). */
function composeConfig(): { services: Record<string, ComposeService> } {
  const yaml = compose(['config']);
  const json = execFileSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
    input: yaml,
    encoding: 'utf8',
  });
  return JSON.parse(json) as { services: Record<string, ComposeService> };
}

/** The Dockerfile HEALTHCHECK of a target, as its exec-form argument list. */
function dockerHealthcheck(target: string): string[] {
  const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, '');
  const stage = dockerfile.split(/^FROM /m).find((s) => new RegExp(`AS ${target}\\n`).test(s));
  const m = /HEALTHCHECK[^\n]*CMD (\[.*\])/.exec(stage ?? '');
  if (!m) throw new Error(`no HEALTHCHECK in the ${target} stage`);
  return JSON.parse(m[1]) as string[];
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0] === 'node' ? process.execPath : argv[0], argv.slice(1), { cwd: REPO, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('docker-compose.yml', () => {
  it('is valid, uses images Temporal publishes today, binds published ports to 127.0.0.1 and keeps secrets out', () => {
    compose(['config', '-q']);
    const { services } = composeConfig();
    expect(Object.keys(services).sort()).toEqual([
      'model-server',
      'nightshift-setup',
      'registry-db',
      'temporal',
      'temporal-db',
      'temporal-schema',
      'temporal-setup',
      'temporal-ui',
      'worker-1',
      'worker-2',
    ]);
    expect(services.temporal.image).toMatch(/^temporalio\/server:/);
    expect(services['temporal-schema'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
    const file = readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8');
    expect(file).not.toContain('auto-setup');
    expect(file).not.toMatch(/change-me/);
    for (const [name, s] of Object.entries(services))
      for (const p of s.ports ?? [])
        expect(typeof p === 'string' ? p : p.host_ip, `${name} publishes ${JSON.stringify(p)}`).toMatch(/127\.0\.0\.1/);
    expect(services['worker-1'].depends_on?.['nightshift-setup'].condition).toBe('service_completed_successfully');
    expect(services['nightshift-setup'].depends_on?.['temporal-setup'].condition).toBe('service_completed_successfully');
    expect(services.temporal.depends_on?.['temporal-schema'].condition).toBe('service_completed_successfully');
    const setup = services['temporal-setup'].command?.join(' ') ?? '';
    for (const attribute of ['ModelName', 'Outcome', 'CandidateVersion', 'ChampionVersion']) expect(setup).toContain(attribute);
  });
});

describe('the compose services run as processes against a local PostgreSQL and Temporal', () => {
  let stack: TestStack;
  let services: Record<string, ComposeService>;
  let home: string;
  let workerProcess: ReturnType<typeof spawn> | null = null;
  let server: ReturnType<typeof spawn> | null = null;
  const taskQueue = `compose-${Date.now()}`;

  /** The service's compose environment with its hostnames mapped to this machine's services. */
  const localEnv = (service: string, ports: { metrics?: number; serve?: number } = {}): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(services[service].environment ?? {})) env[key] = value ?? '';
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.DATABASE_URL).toMatch(/@registry-db:5432\/nightshift$/);
    env.TEMPORAL_ADDRESS = inject('temporalAddress');
    env.DATABASE_URL = stack.database.url;
    env.NIGHTSHIFT_TASK_QUEUE = taskQueue;
    env.NIGHTSHIFT_HOME = home;
    if (env.NIGHTSHIFT_WORKER_METRICS) env.NIGHTSHIFT_WORKER_METRICS = `127.0.0.1:${ports.metrics}`;
    if (env.NIGHTSHIFT_SERVE_HOST) env.NIGHTSHIFT_SERVE_HOST = '127.0.0.1';
    if (env.NIGHTSHIFT_SERVE_PORT) env.NIGHTSHIFT_SERVE_PORT = String(ports.serve);
    return env;
  };

  beforeAll(async () => {
    services = composeConfig().services;
    stack = await startTestStack({ inProcessWorker: false });
    home = tempDir(path.join(inject('stateDir'), 'compose-'));
    await importRows(stack.database.db, 'compose', syntheticTexts(200, ['x', 'y'], 11));
  });

  afterAll(async () => {
    for (const child of [workerProcess, server]) {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
    await stack?.stop();
  });

  it('the setup job migrates the registry and creates the schedules of NIGHTSHIFT_SCHEDULED_MODELS', async () => {
    const s = services['nightshift-setup'];
    // `docker-compose config` prints "$$" as written; in the container compose has made it "$".
    const argv = [...(s.entrypoint ?? []), ...(s.command ?? [])].map((a) => a.replace(/\$\$/g, '$'));
    expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-ec']);
    const result = await run(argv, { ...localEnv('nightshift-setup'), NIGHTSHIFT_SCHEDULED_MODELS: 'compose' });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('registry migrated');
    const described = await runCli(['schedule', 'describe', '--model', 'compose', '--json'], localEnv('nightshift-setup'));
    expect(described.code, described.stderr).toBe(0);
    // Run again: a second setup (a restarted stack) succeeds too (schedule create is idempotent).
    const again = await run(argv, { ...localEnv('nightshift-setup'), NIGHTSHIFT_SCHEDULED_MODELS: 'compose' });
    expect(again.code, again.output).toBe(0);
    // And it fails loudly when the registry is unreachable.
    const broken = await run(argv, { ...localEnv('nightshift-setup'), DATABASE_URL: 'postgres://nobody:x@127.0.0.1:1/none' });
    expect(broken.code).not.toBe(0);
    expect(broken.output).toMatch(/cannot reach PostgreSQL/);
  });

  it("a worker from the compose command runs a retraining; the image's health check passes against it", async () => {
    const metrics = await freePort();
    const argv = services['worker-1'].command ?? [];
    expect(argv).toEqual(['node', 'bin/worker.js']);
    workerProcess = spawn(process.execPath, argv.slice(1), { cwd: REPO, env: { ...process.env, ...localEnv('worker-1', { metrics }) } });
    let output = '';
    workerProcess.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor('the compose worker', async () => (/polling task queue/.test(output) ? true : undefined), 60_000);
    const health = dockerHealthcheck('worker').map((a) => a.replace('127.0.0.1:9464', `127.0.0.1:${metrics}`));
    expect((await run(health, {})).code).toBe(0);
    const r = await runCli(['retrain', '--model', 'compose', '--wait', '--json', '--buckets', '1024'], localEnv('worker-1'));
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as RunResult).outcome).toBe('PROMOTED');
    // NIGHTSHIFT_LOG_FORMAT=json from the compose environment: the activity lines are JSON.
    expect(output).toMatch(/^\{.*"message":"activity completed".*"workflowId":"retrain-compose-/m);
  });

  it('the model server from the compose command serves the promoted model; both health checks pass', async () => {
    const port = await freePort();
    const argv = services['model-server'].command ?? [];
    expect(argv).toEqual(['node', 'bin/nightshift.js', 'serve']);
    server = spawn(process.execPath, argv.slice(1), { cwd: REPO, env: { ...process.env, ...localEnv('model-server', { serve: port }) } });
    await waitFor(
      'the compose model server',
      async () => ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok ? true : undefined),
      60_000,
    );
    const composeCheck = (services['model-server'].healthcheck?.test ?? [])
      .slice(1)
      .map((a) => a.replace('127.0.0.1:8080', `127.0.0.1:${port}`));
    expect((await run(composeCheck, {})).code).toBe(0);
    const imageCheck = dockerHealthcheck('server').map((a) => a.replace('127.0.0.1:8080', `127.0.0.1:${port}`));
    expect((await run(imageCheck, {})).code).toBe(0);
    const predicted = await fetch(`http://127.0.0.1:${port}/models/compose/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: ['xword1 common3'] }),
    });
    expect(predicted.status).toBe(200);
  });
});
