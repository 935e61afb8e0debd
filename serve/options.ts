/**
 * The model server's options, their defaults, and the one check that refuses an unsafe start:
 * bound to anything but loopback, the server must have a token, or anyone who can reach it could
 * write feedback, which becomes training data.
 */
export interface ServeOptions {
  host: string;
  port: number;
  /** Serve only this model (default: every model in the registry). */
  model: string | null;
  /** Bearer token for feedback (and, with requireTokenForPredictions, for predictions). */
  token: string | null;
  requireTokenForPredictions: boolean;
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
  return o;
}
