/**
 * The model server's options, their defaults, and the checks that refuse an unsafe start: bound to
 * anything but loopback, the server must have a token, or anyone who can reach it could write
 * feedback, which becomes training data; and there predictions need the token too unless
 * --public-predictions opens them (they are logged, and the monitor judges drift on them).
 */
export interface ServeOptions {
  host: string;
  port: number;
  /** Serve only this model (default: every model in the registry). */
  model: string | null;
  /** Bearer token for feedback (and, with requireTokenForPredictions, for predictions). */
  token: string | null;
  requireTokenForPredictions: boolean;
  /** Off loopback, let predictions through without the token (the default there is to need it). */
  publicPredictions: boolean;
  /**
   * Host header names accepted besides the loopback ones (localhost, 127.0.0.1, [::1]), e.g. the
   * name clients use through a proxy. Checked when the server binds loopback (a web page using DNS
   * rebinding reaches it under its own name) or when any is given.
   */
  allowedHosts: string[];
  /** Longest a request may take to arrive, headers and body (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** Longest the headers of a request may take to arrive (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** A connection idle this long is closed (Fastify's connectionTimeout). */
  connectionTimeoutMs: number;
  /** At shutdown, requests still running after this are cut (their connections closed). */
  shutdownMs: number;
  /** Rows waiting this long with no write succeeding: the log is not draining and /health says 503. */
  logStallMs: number;
  /** Store prediction texts in the log (needed for feedback to become training examples). */
  logText: boolean;
  /** Prediction log rows older than this are deleted. */
  retentionDays: number;
  /** Largest request body in bytes (413 past it). A 64-message SpamAssassin batch is at most ~4.1 MB. */
  bodyLimit: number;
  /** Most texts in one request. */
  maxBatch: number;
  /** Poll of the production aliases, the fallback when a notification is missed. */
  pollMs: number;
  /** Prediction-log buffer bounds: rows and bytes of text held while PostgreSQL is slow or down. */
  logBufferRows: number;
  logBufferBytes: number;
  /** Rows per INSERT and the longest a logged prediction waits to be written. */
  logBatchRows: number;
  logFlushMs: number;
}

export const DEFAULT_SERVE_OPTIONS: ServeOptions = {
  host: '127.0.0.1',
  port: 8080,
  model: null,
  token: null,
  requireTokenForPredictions: false,
  publicPredictions: false,
  allowedHosts: [],
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  connectionTimeoutMs: 60_000,
  shutdownMs: 10_000,
  logStallMs: 30_000,
  logText: true,
  retentionDays: 30,
  bodyLimit: 8 * 1024 * 1024,
  maxBatch: 1024,
  pollMs: 5000,
  logBufferRows: 20_000,
  logBufferBytes: 64 * 1024 * 1024,
  logBatchRows: 500,
  logFlushMs: 200,
};

export class ServeOptionsError extends Error {}

/** Loopback addresses: the only ones a token-less server may bind. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The name of a Host header without its port, lower-cased ("[::1]:8080" -> "::1"); null when malformed. */
export function hostName(header: string): string | null {
  const h = header.trim().toLowerCase();
  const m = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h) ?? /^([^:[\]\s/@]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1] : null;
}

/** Whether a request's Host header names this server: a loopback name, or one of `allowed` (names, any port). */
export function hostAllowed(header: string | undefined, allowed: readonly string[]): boolean {
  // HTTP/1.0 without Host: no browser sends that, so no DNS rebinding either.
  if (header === undefined) return true;
  const name = hostName(header);
  if (name === null) return false;
  return isLoopback(name) || allowed.some((a) => a.toLowerCase() === name);
}

/** Whether predictions need the token: when asked, and by default off loopback (unless --public-predictions). */
export function predictionsNeedToken(o: ServeOptions): boolean {
  if (o.token === null) return false;
  return o.requireTokenForPredictions || (!isLoopback(o.host) && !o.publicPredictions);
}

export function resolveServeOptions(partial: Partial<ServeOptions> = {}): ServeOptions {
  // An option given as undefined takes its default.
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<ServeOptions>;
  const o: ServeOptions = { ...DEFAULT_SERVE_OPTIONS, ...given };
  const positiveInt = (name: string, v: number, min = 1) => {
    if (!Number.isInteger(v) || v < min) throw new ServeOptionsError(`${name} must be an integer >= ${min}, got ${v}`);
  };
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new ServeOptionsError(`port must be 0-65535, got ${o.port}`);
  if (!(o.retentionDays > 0)) throw new ServeOptionsError(`retention must be a positive number of days, got ${o.retentionDays}`);
  positiveInt('body limit', o.bodyLimit, 1024);
  positiveInt('max batch', o.maxBatch);
  positiveInt('poll interval', o.pollMs, 100);
  positiveInt('log buffer rows', o.logBufferRows);
  positiveInt('log buffer bytes', o.logBufferBytes);
  positiveInt('log batch rows', o.logBatchRows);
  positiveInt('log flush interval', o.logFlushMs);
  positiveInt('request timeout', o.requestTimeoutMs, 100);
  positiveInt('headers timeout', o.headersTimeoutMs, 100);
  positiveInt('connection timeout', o.connectionTimeoutMs, 100);
  positiveInt('shutdown deadline', o.shutdownMs, 0);
  positiveInt('log stall time', o.logStallMs, 100);
  // Node refuses a headers timeout longer than the request timeout.
  if (o.headersTimeoutMs > o.requestTimeoutMs) o.headersTimeoutMs = o.requestTimeoutMs;
  for (const h of o.allowedHosts) {
    if (!/^[a-z0-9.-]+$/i.test(h) && !/^[0-9a-f]*:[0-9a-f:.]*$/i.test(h)) {
      throw new ServeOptionsError(
        `--allowed-host takes a host name or address without a port (such as models.example.com), got ${JSON.stringify(h)}`,
      );
    }
  }
  if (o.token !== null && o.token.length < 16) throw new ServeOptionsError('NIGHTSHIFT_SERVE_TOKEN must be at least 16 characters');
  if (!isLoopback(o.host) && o.token === null) {
    throw new ServeOptionsError(
      `refusing to serve on ${o.host}, which is not a loopback address, without a token: anyone reaching it could post feedback, ` +
        'which becomes training data. Set NIGHTSHIFT_SERVE_TOKEN (clients then send "Authorization: Bearer <token>"), or bind 127.0.0.1',
    );
  }
  if (o.requireTokenForPredictions && o.token === null) {
    throw new ServeOptionsError('--require-token-for-predictions needs NIGHTSHIFT_SERVE_TOKEN');
  }
  if (o.requireTokenForPredictions && o.publicPredictions) {
    throw new ServeOptionsError('--public-predictions and --require-token-for-predictions contradict each other');
  }
  return o;
}
