/**
 * MLflow's scoring protocol (mlflow/pyfunc/scoring_server): POST /invocations with inputs,
 * instances, dataframe_split or dataframe_records; GET /ping, /health, /version. Each prediction
 * is {label, probabilities, prediction_id}; model_version names the version that answered.
 */
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.ts';
import { BadInput, mlflowTexts, type MlflowBody } from '../inputs.ts';
import { HttpError, MLFLOW_ERROR_SCHEMA } from '../http-errors.ts';
import { predict } from '../predict.ts';

const BODY_SCHEMA = {
  type: 'object',
  properties: {
    inputs: { type: ['array', 'object', 'string'] },
    instances: { type: 'array' },
    dataframe_split: {
      type: 'object',
      properties: {
        columns: { type: 'array', items: { type: 'string' } },
        data: { type: 'array', items: { type: 'array' } },
        index: { type: 'array' },
      },
      required: ['columns', 'data'],
    },
    dataframe_records: { type: 'array', items: { type: 'object' } },
    params: { type: 'object' },
  },
  additionalProperties: false,
} as const;

export const MLFLOW_REPLY_SCHEMA = {
  type: 'object',
  properties: {
    predictions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          label: { type: 'string' },
          probabilities: { type: 'object', additionalProperties: { type: 'number' } },
          prediction_id: { type: 'string' },
        },
        required: ['label', 'probabilities', 'prediction_id'],
      },
    },
    model: { type: 'string' },
    model_version: { type: 'string' },
  },
  required: ['predictions', 'model', 'model_version'],
} as const;

const ERRORS = {
  400: MLFLOW_ERROR_SCHEMA,
  401: MLFLOW_ERROR_SCHEMA,
  404: MLFLOW_ERROR_SCHEMA,
  413: MLFLOW_ERROR_SCHEMA,
  503: MLFLOW_ERROR_SCHEMA,
};

export function mlflowRoutes(ctx: ServeContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const health = async (): Promise<string> => {
      if (!ctx.store.ready) throw new HttpError(503, 'loading the production versions');
      return '\n';
    };
    app.get('/ping', health);
    app.get('/health', health);
    app.get('/version', async () => ({
      nightshift: ctx.serverVersion,
      models: Object.fromEntries(ctx.store.list().map((e) => [e.name, e.served ? e.served.versionText : null])),
    }));

    const invoke = async (name: string | undefined, body: MlflowBody, elapsed: () => number) => {
      let texts: string[];
      try {
        texts = mlflowTexts(body);
      } catch (err) {
        if (err instanceof BadInput) throw new HttpError(400, err.message);
        throw err;
      }
      const r = await predict(ctx.predict, name, texts, elapsed);
      return {
        version: r.served.versionText,
        body: {
          predictions: r.predictions.map((p, i) => ({ label: p.label, probabilities: r.probabilities[i], prediction_id: r.ids[i] })),
          model: r.entry.name,
          model_version: r.served.versionText,
        },
      };
    };
    const route = { schema: { body: BODY_SCHEMA, response: { 200: MLFLOW_REPLY_SCHEMA, ...ERRORS } }, preHandler: ctx.predictionGuard };
    app.post<{ Body: MlflowBody }>('/invocations', route, async (request, reply) => {
      const out = await invoke(undefined, request.body, () => reply.elapsedTime);
      void reply.header('x-model-version', out.version);
      return out.body;
    });
    app.post<{ Body: MlflowBody; Params: { name: string } }>('/models/:name/invocations', route, async (request, reply) => {
      const out = await invoke(request.params.name, request.body, () => reply.elapsedTime);
      void reply.header('x-model-version', out.version);
      return out.body;
    });
  };
}
