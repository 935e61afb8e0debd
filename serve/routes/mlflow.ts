/**
 * MLflow's scoring protocol (mlflow/pyfunc/scoring_server): POST /invocations with inputs,
 * instances, dataframe_split or dataframe_records; GET /ping, /health, /version. Each prediction
 * is {label, probabilities, prediction_id}; model_version names the version that answered.
 */
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.ts';
import { BadInput, mlflowTexts, type MlflowBody } from '../inputs.ts';
import { HttpError, MLFLOW_ERROR_SCHEMA } from '../http-errors.ts';
import { predict, type PredictResult } from '../predict.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

/** `JSON.stringify` of a number as a JSON value (a non-finite one, which a softmax never gives, as null). */
const jsonNumber = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

/**
 * The MLflow reply, {"predictions": [{"label", "probabilities", "prediction_id"}], "model",
 * "model_version"}, written as one string: the same document MLFLOW_REPLY_SCHEMA describes (a test
 * parses it against the schema's serializer's output), without walking an object per text. The
 * label strings are quoted once per request, not once per text.
 */
export function mlflowReplyJson(r: Pick<PredictResult, 'entry' | 'served' | 'ids' | 'predictions'>): string {
  const labels = r.served.labels;
  const K = labels.length;
  const keys = labels.map((l) => JSON.stringify(l) + ':');
  const quoted = new Map(labels.map((l) => [l, JSON.stringify(l)]));
  let out = '{"predictions":[';
  for (let i = 0; i < r.predictions.length; i++) {
    const p = r.predictions[i];
    out += (i === 0 ? '{"label":' : ',{"label":') + (quoted.get(p.label) ?? JSON.stringify(p.label)) + ',"probabilities":{';
    for (let k = 0; k < K; k++) out += (k === 0 ? '' : ',') + keys[k] + jsonNumber(p.probabilities[k]);
    out += '},"prediction_id":' + JSON.stringify(r.ids[i]) + '}';
  }
  return out + '],"model":' + JSON.stringify(r.entry.name) + ',"model_version":' + JSON.stringify(r.served.versionText) + '}';
}

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
      return { version: r.served.versionText, body: mlflowReplyJson(r) };
    };
    const route = { schema: { body: BODY_SCHEMA, response: { 200: MLFLOW_REPLY_SCHEMA, ...ERRORS } }, preHandler: ctx.predictionGuard };
    // The reply is already JSON (mlflowReplyJson): with the content type set, Fastify sends the string as it is.
    app.post<{ Body: MlflowBody }>('/invocations', route, async (request, reply) => {
      const out = await invoke(undefined, request.body, () => reply.elapsedTime);
      void reply.header('x-model-version', out.version).header('content-type', JSON_TYPE);
      return out.body;
    });
    app.post<{ Body: MlflowBody; Params: { name: string } }>('/models/:name/invocations', route, async (request, reply) => {
      const out = await invoke(request.params.name, request.body, () => reply.elapsedTime);
      void reply.header('x-model-version', out.version).header('content-type', JSON_TYPE);
      return out.body;
    });
  };
}
