import type { Config } from '../../stack/config.ts';
import { resolveTemporal } from '../../stack/stack.ts';
import { openRegistry } from '../../registry/open.ts';
import { log } from '../output.ts';
import { parse, UsageError } from './args.ts';
import { checkModelName } from '../../registry/models.ts';
import { startModelServer } from '../../serve/server.ts';
import { DEFAULT_SERVE_OPTIONS, ServeOptionsError, type ServeOptions } from '../../serve/options.ts';

export const SERVE_HELP = `Usage: nightshift serve [--model NAME] [--host ADDR] [--port PORT] [--no-log-text] [--retention DAYS]
                       [--require-token-for-predictions | --public-predictions] [--allowed-host NAMES]
                       [--body-limit BYTES] [--max-batch N] [--poll-interval MS]

Runs the HTTP model server: every model's production version from the registry (DATABASE_URL, or
the running stack's PostgreSQL), reloaded within a second of a promotion (PostgreSQL NOTIFY, with
polling as the fallback). Run any number of copies behind a load balancer. Stops on Ctrl-C.

Protocols (docs/serving.md):
  MLflow scoring      POST /invocations, POST /models/NAME/invocations, GET /ping, /health, /version
  Open Inference v2   GET /v2/health/live|ready, GET /v2/models/NAME[/ready], POST /v2/models/NAME/infer
  feedback            POST /v1/feedback {"model": M, "feedback": [{"prediction_id": ..., "label": ...}]}
  live metrics        GET /v1/models, GET /v1/models/NAME/monitor, GET /metrics (Prometheus)
  dashboard           GET / (the JSON it reads: GET /v1/overview, /v1/registry/models[/NAME], /v1/runs, ...)

  --model NAME                      serve only this model (/invocations then needs no model name)
  --host ADDR                       address to bind (NIGHTSHIFT_SERVE_HOST, default 127.0.0.1); any
                                    address but loopback needs NIGHTSHIFT_SERVE_TOKEN
  --port PORT                       port (NIGHTSHIFT_SERVE_PORT, default 8080; 0 picks a free one)
  --no-log-text                     keep texts out of the prediction log (only their sha256); such
                                    predictions cannot become training examples through feedback
  --retention DAYS                  delete logged predictions older than this (default 30; 12h also works)
  --require-token-for-predictions   predictions need "Authorization: Bearer <token>" too
                                    (feedback always does when NIGHTSHIFT_SERVE_TOKEN is set; off
                                    loopback, predictions need it by default)
  --public-predictions              off loopback, serve predictions without the token
  --allowed-host NAMES              Host header names accepted besides localhost, 127.0.0.1 and
                                    [::1], comma-separated (NIGHTSHIFT_SERVE_ALLOWED_HOSTS); other
                                    names are refused with 403 (DNS rebinding)
  --body-limit BYTES                largest request body, 413 past it (default ${DEFAULT_SERVE_OPTIONS.bodyLimit})
  --max-batch N                     most texts in one request (default ${DEFAULT_SERVE_OPTIONS.maxBatch})
  --poll-interval MS                registry poll, the fallback for missed notifications (default ${DEFAULT_SERVE_OPTIONS.pollMs})`;

function positiveInteger(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new UsageError(`--${flag} must be a whole number, got ${JSON.stringify(raw)}`);
  return n;
}

/** "30", "30d" or "12h" -> days. */
export function retentionDays(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(d|h)?$/.exec(raw.trim());
  const value = m ? Number(m[1]) : NaN;
  if (!m || !(value > 0))
    throw new UsageError(`--retention must be a positive number of days (30, 30d) or hours (12h), got ${JSON.stringify(raw)}`);
  return m[2] === 'h' ? value / 24 : value;
}

export async function serve(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'no-log-text': { type: 'boolean' },
    retention: { type: 'string' },
    'require-token-for-predictions': { type: 'boolean' },
    'public-predictions': { type: 'boolean' },
    'allowed-host': { type: 'string' },
    'body-limit': { type: 'string' },
    'max-batch': { type: 'string' },
    'poll-interval': { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP + '\n');
    return 0;
  }
  if (values.model !== undefined) {
    try {
      checkModelName(values.model);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const port = positiveInteger('port', values.port);
  if (port !== undefined && port > 65535) throw new UsageError(`--port must be 0-65535, got ${port}`);
  const options: Partial<ServeOptions> = {
    model: values.model ?? null,
    logText: !values['no-log-text'],
    retentionDays: retentionDays(values.retention),
    requireTokenForPredictions: values['require-token-for-predictions'] ?? false,
    publicPredictions: values['public-predictions'] ?? false,
    allowedHosts: (values['allowed-host'] ?? process.env.NIGHTSHIFT_SERVE_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h.length > 0),
    bodyLimit: positiveInteger('body-limit', values['body-limit']),
    maxBatch: positiveInteger('max-batch', values['max-batch']),
    pollMs: positiveInteger('poll-interval', values['poll-interval']),
  };
  const registry = await openRegistry(config);
  let server: Awaited<ReturnType<typeof startModelServer>>;
  try {
    server = await startModelServer({
      db: registry.db,
      databaseUrl: registry.databaseUrl,
      config,
      host: values.host,
      port,
      log,
      options,
      // Runs on the dashboard: TEMPORAL_ADDRESS or the home's running stack, when there is one.
      temporal: () => resolveTemporal(config),
    });
  } catch (err) {
    await registry.close();
    if (err instanceof ServeOptionsError) throw new UsageError(err.message);
    throw err;
  }
  const served = server.server.store.list();
  log(
    `model server on ${server.url}: ${served.map((e) => `${e.name} ${e.served ? `v${e.served.version}` : '(no production version yet)'}`).join(', ') || 'no models yet'}`,
  );
  process.stdout.write(`${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log('model server: stopping (finishing requests, writing the prediction log)');
  await server.close();
  await registry.close();
  return 0;
}
