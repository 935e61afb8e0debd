/** What the route plugins share: built once per server by server.ts. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../registry/pool.ts';
import type { ServeMetrics } from './metrics.ts';
import type { Log, ModelStore } from './model-store.ts';
import type { ServeOptions } from './options.ts';
import type { PredictionLog } from './prediction-log.ts';
import type { PredictContext } from './predict.ts';

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface ServeContext {
  db: Db;
  store: ModelStore;
  predictionLog: PredictionLog;
  metrics: ServeMetrics;
  options: ServeOptions;
  log: Log;
  /** Guards for feedback and (with --require-token-for-predictions) for predictions; none without a token. */
  feedbackGuard: Guard[];
  predictionGuard: Guard[];
  /** What a prediction needs: the store, the log, the batch limit, the request coalescer. */
  predict: PredictContext;
  /** The server's own version, for /version and /v2. */
  serverVersion: string;
}
