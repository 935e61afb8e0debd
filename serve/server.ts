/**
 * The model server: Fastify with one plugin per route group (MLflow scoring, Open Inference
 * Protocol v2, feedback, models and live metrics, Prometheus), the loaded production versions,
 * the promotion listener with its polling fallback, and the prediction log. The request path
 * never touches PostgreSQL: it reads the in-memory versions and pushes to the log's buffer.
 *
 * What no client can do to it: a token check runs on the request (onRequest), before any body is
 * read; a body arrives within the request timeout or its connection is closed; a Host header that
 * does not name this server is refused (DNS rebinding); shutdown cuts what still runs after its
 * deadline, then writes the prediction log.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { createPool, type Db } from '../registry/pool.ts';
import { migrate } from '../registry/migrate.ts';
import { lastLabelled } from '../registry/live-metrics.ts';
import type { Config } from '../stack/config.ts';
import { bearerCheck } from './auth.ts';
import type { Guard, ServeContext } from './context.ts';
import { errorBody, HttpError } from './http-errors.ts';
import { RefusedJson, useJsonBodyParser } from './json-body.ts';
import { createServeMetrics, type ServeMetrics } from './metrics.ts';
import { ModelStore, type Log } from './model-store.ts';
import { hostAllowed, isLoopback, predictionsNeedToken, resolveServeOptions, type ServeOptions } from './options.ts';
import { PredictionLog } from './prediction-log.ts';
import { PredictionBatcher } from './predict.ts';
import { ProductionListener } from './production-listener.ts';
import { useProtocols } from './protocols.ts';
import { feedbackRoutes } from './routes/feedback.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { mlflowRoutes } from './routes/mlflow.ts';
import { modelRoutes } from './routes/models.ts';
import { v2Routes } from './routes/v2.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { viewRoutes } from './routes/views.ts';
import { TemporalAccess, type TemporalResolver } from './temporal-access.ts';
import { codecRoutes } from './codec-routes.ts';

const LIVE_GAUGE_EVERY_MS = 15_000;
const LIVE_GAUGE_LAST_N = 500;

export interface ModelServerInput {
  /** The registry; created from databaseUrl (and closed with the server) when absent. */
  db?: Db;
  /** Needed for the LISTEN connection. */
  databaseUrl: string;
  options?: Partial<ServeOptions>;
  log?: Log;
  /** Apply pending migrations first (default true; cheap when there are none). */
  migrate?: boolean;
  /** Where Temporal is, for the runs on the dashboard (connected on first use); none: runs unavailable. */
  temporal?: TemporalResolver;
}

export interface ModelServer {
  app: FastifyInstance;
  store: ModelStore;
  predictionLog: PredictionLog;
  metrics: ServeMetrics;
  options: ServeOptions;
  /** Set once listening. */
  url: string | null;
  listen(): Promise<string>;
  close(): Promise<void>;
}

function serverVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'nightshift') return pkg.version ?? 'unknown';
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;

/** Builds the server (models loaded, listener and log started) without listening: tests inject(). */
export async function createModelServer(input: ModelServerInput): Promise<ModelServer> {
  const options = resolveServeOptions(input.options);
  const log: Log = input.log ?? ((line) => process.stderr.write(`${line}\n`));
  const ownDb = !input.db;
  const db = input.db ?? createPool(input.databaseUrl, { max: 6 });
  const metrics = createServeMetrics();
  const store = new ModelStore(db, metrics, log, options.model);
  const predictionLog = new PredictionLog(
    db,
    {
      logText: options.logText,
      maxRows: options.logBufferRows,
      maxBytes: options.logBufferBytes,
      batchRows: options.logBatchRows,
      flushMs: options.logFlushMs,
      retentionDays: options.retentionDays,
      stallMs: options.logStallMs,
    },
    metrics,
    log,
  );
  try {
    if (input.migrate !== false) await migrate(db);
    await store.refresh();
  } catch (err) {
    if (ownDb) await db.end().catch(() => undefined);
    throw err;
  }

  const tokenGuard: Guard[] = options.token ? [bearerCheck(options.token)] : [];
  const ctx: ServeContext = {
    db,
    store,
    predictionLog,
    metrics,
    options,
    log,
    feedbackGuard: tokenGuard,
    predictionGuard: predictionsNeedToken(options) ? tokenGuard : [],
    serverVersion: serverVersion(),
    predict: { store, log: predictionLog, maxBatch: options.maxBatch, batcher: new PredictionBatcher() },
  };

  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit,
    // Strict validation: a number is not silently a text, and nothing unknown is dropped unseen.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, allowUnionTypes: true } },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // A body trickled in byte by byte must not hold a connection (and shutdown) for minutes.
    requestTimeout: options.requestTimeoutMs,
    connectionTimeout: options.connectionTimeoutMs,
    http: {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      // How often Node looks for requests past those timeouts (its default is every 30 s).
      connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs),
    },
  });
  // Guards run on the request, before its body is read and parsed: a route plugin names them as
  // preHandler, and they are moved here to onRequest, so a client without the token costs nothing.
  const guards = new Set<unknown>(tokenGuard);
  app.addHook('onRoute', (route) => {
    const pre = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    const moved = pre.filter((h) => guards.has(h));
    if (moved.length === 0) return;
    const onRequest = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.preHandler = pre.filter((h) => !guards.has(h));
    route.onRequest = [...(moved as typeof onRequest), ...onRequest];
  });
  // /health answers 503 when the prediction log is not draining (/ping stays the liveness check).
  app.addHook('onRoute', (route) => {
    if (route.url !== '/health') return;
    const onRequest = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    const logHealth = async (): Promise<void> => {
      const h = predictionLog.health();
      if (!h.draining) throw new HttpError(503, h.message ?? 'the prediction log is not draining');
    };
    route.onRequest = [logHealth as (typeof onRequest)[number], ...onRequest];
  });
  // DNS rebinding: a web page whose name now resolves to 127.0.0.1 reaches a loopback server with
  // its own name in Host. A loopback server (or one given --allowed-host) answers only its names.
  if (isLoopback(options.host) || options.allowedHosts.length > 0) {
    app.addHook('onRequest', async (request) => {
      const host = request.headers.host;
      if (!hostAllowed(host, options.allowedHosts)) {
        throw new HttpError(
          403,
          `Host ${JSON.stringify(String(host).slice(0, 100))} is not a name of this server (localhost, 127.0.0.1, [::1]` +
            `${options.allowedHosts.map((h) => `, ${h}`).join('')}); add it with --allowed-host (NIGHTSHIFT_SERVE_ALLOWED_HOSTS)`,
        );
      }
    });
  }
  useJsonBodyParser(app);
  useProtocols(app, ctx.serverVersion);
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let status: number;
    let message: string;
    if (err instanceof HttpError) {
      status = err.statusCode;
      message = err.message;
    } else if (err.validation) {
      status = 400;
      message = `invalid ${err.validationContext ?? 'request'}: ${err.message}`;
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413;
      message = `request body is larger than the limit of ${options.bodyLimit} bytes (${mib(options.bodyLimit)}); send fewer texts per request`;
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      status = 415;
      message = `unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}; send JSON with Content-Type: application/json`;
    } else if (err instanceof RefusedJson) {
      status = 400;
      message = err.message;
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      message =
        err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? `body is not valid JSON: ${err.message}` : err.message;
    } else {
      status = 500;
      message = 'internal error';
      log(`model server: ${request.method} ${request.url} failed: ${err.stack ?? err.message}`);
    }
    if (status === 401) void reply.header('www-authenticate', 'Bearer');
    void reply.status(status).send(errorBody(request.url, status, message));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody(request.url, 404, `no route ${request.method} ${request.url.split('?')[0].slice(0, 200)}`));
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.labels(route, request.method, String(reply.statusCode)).inc();
    metrics.httpDuration.labels(route).observe(reply.elapsedTime / 1000);
  });
  await app.register(mlflowRoutes(ctx));
  await app.register(v2Routes(ctx));
  await app.register(feedbackRoutes(ctx));
  await app.register(modelRoutes(ctx));
  await app.register(metricsRoutes(ctx));
  const temporal = new TemporalAccess(input.temporal ?? null);
  await app.register(viewRoutes(ctx, temporal));
  await app.register(dashboardRoutes());
  // Encrypted payloads (NIGHTSHIFT_ENCRYPTION_KEY_FILE): the Temporal Web UI's codec server.
  await app.register(codecRoutes(ctx));

  const refresh = () => {
    store
      .refresh()
      .catch((err: unknown) => log(`model server: cannot read the registry (${(err as Error).message}); serving what is loaded`));
  };
  const listener = new ProductionListener({
    databaseUrl: input.databaseUrl,
    onPromotion: refresh,
    onConnected: refresh,
    onStatus: (up) => metrics.listenerConnected.set(up ? 1 : 0),
    log,
  });
  listener.start();
  predictionLog.start();
  const poll = setInterval(refresh, options.pollMs);
  poll.unref();
  const updateLiveGauges = async () => {
    const fresh: Array<{ model: string; version: string; labelled: number; accuracy: number | null }> = [];
    for (const e of store.list()) {
      if (!e.served) continue;
      const s = await lastLabelled(db, e.modelId, e.served.versionId, LIVE_GAUGE_LAST_N);
      fresh.push({ model: e.name, version: e.served.versionText, labelled: s.labelled, accuracy: s.accuracy });
    }
    // Replaced together, so a version no longer served stops being reported.
    metrics.liveAccuracy.reset();
    metrics.liveLabelled.reset();
    for (const f of fresh) {
      metrics.liveLabelled.labels(f.model, f.version).set(f.labelled);
      if (f.accuracy !== null) metrics.liveAccuracy.labels(f.model, f.version).set(f.accuracy);
    }
  };
  const gauges = setInterval(() => void updateLiveGauges().catch(() => undefined), LIVE_GAUGE_EVERY_MS);
  gauges.unref();

  let closed: Promise<void> | null = null;
  const server: ModelServer = {
    app,
    store,
    predictionLog,
    metrics,
    options,
    url: null,
    async listen() {
      const address = await app.listen({ host: options.host, port: options.port });
      const u = new URL(address);
      // Name the address the server was asked to bind, not whichever interface Node reports.
      server.url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${u.port}`;
      return server.url;
    },
    close() {
      closed ??= (async () => {
        clearInterval(poll);
        clearInterval(gauges);
        await listener.close();
        // Requests still running at the deadline are cut (their connections closed), so a slow
        // client cannot hold the shutdown; the prediction log is written after.
        let cut: NodeJS.Timeout | undefined;
        const closing = app.close();
        await Promise.race([closing, new Promise<void>((resolve) => (cut = setTimeout(resolve, options.shutdownMs)))]);
        clearTimeout(cut);
        app.server.closeAllConnections();
        await closing;
        await temporal.close();
        await predictionLog.close();
        if (ownDb) await db.end().catch(() => undefined);
      })();
      return closed;
    },
  };
  return server;
}

export interface StartModelServerInput {
  /** Either a pool (then databaseUrl is still needed for LISTEN) or a databaseUrl alone. */
  db?: Db;
  databaseUrl: string;
  /** Host, port and token default from here (NIGHTSHIFT_SERVE_HOST, NIGHTSHIFT_SERVE_PORT, NIGHTSHIFT_SERVE_TOKEN). */
  config?: Pick<Config, 'serveHost' | 'servePort' | 'serveToken'>;
  host?: string;
  port?: number;
  log?: Log;
  options?: Partial<ServeOptions>;
  temporal?: TemporalResolver;
}

/** Starts a listening model server; what `nightshift serve` and `nightshift up` call. */
export async function startModelServer(
  input: StartModelServerInput,
): Promise<{ url: string; close(): Promise<void>; server: ModelServer }> {
  const server = await createModelServer({
    db: input.db,
    databaseUrl: input.databaseUrl,
    log: input.log,
    temporal: input.temporal,
    options: {
      host: input.host ?? input.config?.serveHost,
      port: input.port ?? input.config?.servePort,
      token: input.config?.serveToken ?? null,
      ...input.options,
    },
  });
  try {
    const url = await server.listen();
    return { url, close: () => server.close(), server };
  } catch (err) {
    await server.close();
    throw err;
  }
}
