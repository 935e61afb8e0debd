/**
 * POST /v1/feedback: the true labels of earlier predictions, per-item results (see
 * registry/feedback.ts for the rule on a changed label). Needs the bearer token when
 * the server has one (checked on the request, before the body is read: server.ts moves the guard
 * to onRequest). The prediction log is flushed first, so feedback on a prediction made a moment
 * ago finds its row. A request is one transaction: if it fails (503), no label of it is stored.
 */
import type { FastifyInstance } from 'fastify';
import { recordFeedback, type FeedbackItem } from '../../registry/feedback.ts';
import { RegistryError } from '../../registry/errors.ts';
import type { ServeContext } from '../context.ts';
import { HttpError, MLFLOW_ERROR_SCHEMA } from '../http-errors.ts';

export const MAX_FEEDBACK_ITEMS = 1000;

const BODY_SCHEMA = {
  type: 'object',
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 200 },
    feedback: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_FEEDBACK_ITEMS,
      items: {
        type: 'object',
        properties: {
          prediction_id: { type: 'string', minLength: 1, maxLength: 100 },
          label: { type: 'string', minLength: 1, maxLength: 200 },
        },
        required: ['prediction_id', 'label'],
        additionalProperties: false,
      },
    },
  },
  required: ['model', 'feedback'],
  additionalProperties: false,
} as const;

const STATUS = ['recorded', 'unchanged', 'conflict', 'unknown_prediction', 'unknown_label'];

const REPLY_SCHEMA = {
  type: 'object',
  properties: {
    model: { type: 'string' },
    results: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          prediction_id: { type: 'string' },
          status: { type: 'string', enum: STATUS },
          message: { type: 'string' },
          label: { type: 'string' },
          example: { type: 'string' },
        },
        required: ['prediction_id', 'status'],
      },
    },
    counts: { type: 'object', additionalProperties: { type: 'integer' } },
  },
  required: ['model', 'results', 'counts'],
} as const;

export function feedbackRoutes(ctx: ServeContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.post<{ Body: { model: string; feedback: FeedbackItem[] } }>(
      '/v1/feedback',
      {
        schema: {
          body: BODY_SCHEMA,
          response: {
            200: REPLY_SCHEMA,
            400: MLFLOW_ERROR_SCHEMA,
            401: MLFLOW_ERROR_SCHEMA,
            404: MLFLOW_ERROR_SCHEMA,
            503: MLFLOW_ERROR_SCHEMA,
          },
        },
        preHandler: ctx.feedbackGuard,
      },
      async (request) => {
        const { model, feedback } = request.body;
        if (ctx.options.model !== null && model !== ctx.options.model) {
          throw new HttpError(404, `this server serves only model ${ctx.options.model}`);
        }
        await ctx.predictionLog.flush(2000);
        let report;
        try {
          report = await recordFeedback(ctx.db, model, feedback);
        } catch (err) {
          if (err instanceof RegistryError && err.type === 'UnknownModel') throw new HttpError(404, err.message);
          if (err instanceof RegistryError) throw new HttpError(400, err.message);
          throw new HttpError(503, `cannot record feedback now (the registry is unavailable: ${(err as Error).message}); retry later`);
        }
        for (const [status, n] of Object.entries(report.counts)) if (n > 0) ctx.metrics.feedback.labels(model, status).inc(n);
        return report;
      },
    );
  };
}
