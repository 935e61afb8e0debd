/**
 * The Open Inference Protocol v2 REST API (kserve/open-inference-protocol, inference_rest.md):
 * health, server and model metadata, model readiness, and inference with one BYTES input `text`
 * of shape [N], answering `label` (BYTES [N]), `probabilities` (FP32 [N, K], columns in the label
 * order of the metadata) and `prediction_id` (BYTES [N]), with model_version.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServeContext } from '../context.ts';
import { HttpError, V2_ERROR_SCHEMA } from '../http-errors.ts';
import { BadInput, v2Texts, type V2InferBody } from '../inputs.ts';
import { predict, resolveModel } from '../predict.ts';
import type { ServedVersion } from '../model-store.ts';
import { BINARY_EXTENSION, encodeBinaryReply, INFERENCE_HEADER, type ReplyTensor } from '../binary-tensors.ts';

const OUTPUT_NAMES = ['label', 'probabilities', 'prediction_id'] as const;

const TENSOR_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    shape: { type: 'array', items: { type: 'integer' } },
    datatype: { type: 'string' },
    data: { type: 'array' },
    parameters: { type: 'object' },
  },
  required: ['name', 'shape', 'datatype', 'data'],
} as const;

const INFER_BODY_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    parameters: { type: 'object' },
    inputs: { type: 'array', minItems: 1, items: TENSOR_SCHEMA },
    outputs: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, parameters: { type: 'object' } }, required: ['name'] },
    },
  },
  required: ['inputs'],
} as const;

const INFER_REPLY_SCHEMA = {
  type: 'object',
  properties: {
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    id: { type: 'string' },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer' } },
          datatype: { type: 'string' },
          data: { type: 'array', items: { type: ['string', 'number'] } },
        },
        required: ['name', 'shape', 'datatype', 'data'],
      },
    },
  },
  required: ['model_name', 'model_version', 'outputs'],
} as const;

const ERRORS = { 400: V2_ERROR_SCHEMA, 401: V2_ERROR_SCHEMA, 404: V2_ERROR_SCHEMA, 413: V2_ERROR_SCHEMA, 503: V2_ERROR_SCHEMA };

function metadata(name: string, served: ServedVersion) {
  const K = served.labels.length;
  return {
    name,
    versions: [served.versionText],
    platform: 'nightshift_softmax_regression',
    inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, K] },
      { name: 'prediction_id', datatype: 'BYTES', shape: [-1] },
    ],
    parameters: { labels: served.labels, sha256: served.sha256 },
  };
}

/** Whether an output goes as binary data: its own `binary_data` parameter, else the request's `binary_data_output`. */
function binaryOutputs(body: V2InferBody, names: readonly string[]): Set<string> {
  const all = body.parameters?.binary_data_output === true;
  const out = new Set<string>();
  for (const n of names) {
    const own = body.outputs?.find((o) => o.name === n)?.parameters?.binary_data;
    if (own === true || (own === undefined && all)) out.add(n);
  }
  return out;
}

export function v2Routes(ctx: ServeContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    /** The model entry when `version` is the one served; a 404 saying which is, otherwise. */
    const servedVersion = (name: string, version: string) => {
      const entry = resolveModel(ctx.store, name);
      if (entry.served.versionText !== version) {
        throw new HttpError(
          404,
          `model ${JSON.stringify(name)} version ${JSON.stringify(version)} is not served; the version served is ${entry.served.versionText}`,
        );
      }
      return entry;
    };
    app.get('/v2', async () => ({ name: 'nightshift', version: ctx.serverVersion, extensions: [BINARY_EXTENSION] }));
    app.get('/v2/health/live', async () => ({ live: true }));
    app.get('/v2/health/ready', async () => {
      if (!ctx.store.ready) throw new HttpError(503, 'loading the production versions');
      return { ready: true };
    });
    app.get<{ Params: { name: string } }>('/v2/models/:name', { schema: { response: ERRORS } }, async (request) => {
      const entry = resolveModel(ctx.store, request.params.name);
      return metadata(entry.name, entry.served);
    });
    app.get<{ Params: { name: string } }>('/v2/models/:name/ready', { schema: { response: ERRORS } }, async (request) => {
      resolveModel(ctx.store, request.params.name);
      return { name: request.params.name, ready: true };
    });
    app.get<{ Params: { name: string; version: string } }>(
      '/v2/models/:name/versions/:version',
      { schema: { response: ERRORS } },
      async (request) => {
        const entry = servedVersion(request.params.name, request.params.version);
        return metadata(entry.name, entry.served);
      },
    );
    app.get<{ Params: { name: string; version: string } }>(
      '/v2/models/:name/versions/:version/ready',
      { schema: { response: ERRORS } },
      async (request) => {
        servedVersion(request.params.name, request.params.version);
        return { name: request.params.name, version: request.params.version, ready: true };
      },
    );

    const infer = async (name: string, version: string | undefined, body: V2InferBody, elapsed: () => number) => {
      if (version !== undefined) servedVersion(name, version);
      const wanted = body.outputs?.map((o) => o.name) ?? OUTPUT_NAMES;
      const unknown = wanted.filter((n) => !(OUTPUT_NAMES as readonly string[]).includes(n));
      if (unknown.length) throw new HttpError(400, `unknown output ${JSON.stringify(unknown[0])}; outputs are ${OUTPUT_NAMES.join(', ')}`);
      let texts: string[];
      try {
        texts = v2Texts(body);
      } catch (err) {
        if (err instanceof BadInput) throw new HttpError(400, err.message);
        throw err;
      }
      const r = await predict(ctx.predict, name, texts, elapsed);
      const N = texts.length;
      const K = r.served.labels.length;
      const outputs: ReplyTensor[] = [];
      for (const n of wanted) {
        if (n === 'label') outputs.push({ name: n, shape: [N], datatype: 'BYTES', data: r.predictions.map((p) => p.label) });
        else if (n === 'prediction_id') outputs.push({ name: n, shape: [N], datatype: 'BYTES', data: r.ids });
        else {
          const flat = new Array<number>(N * K);
          for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) flat[i * K + k] = r.predictions[i].probabilities[k];
          outputs.push({ name: n, shape: [N, K], datatype: 'FP32', data: flat });
        }
      }
      const head = { model_name: r.entry.name, model_version: r.served.versionText, ...(body.id !== undefined ? { id: body.id } : {}) };
      const binary = binaryOutputs(body, wanted);
      return { version: r.served.versionText, body: binary.size ? encodeBinaryReply(head, outputs, binary) : { ...head, outputs } };
    };
    /** A reply with binary outputs goes as bytes with the JSON part's length in Inference-Header-Content-Length. */
    const send = (reply: FastifyReply, out: Awaited<ReturnType<typeof infer>>) => {
      void reply.header('x-model-version', out.version);
      if (!('jsonLength' in out.body)) return out.body;
      void reply.header(INFERENCE_HEADER, String(out.body.jsonLength)).header('content-type', 'application/octet-stream');
      return out.body.body;
    };
    const route = {
      schema: { body: INFER_BODY_SCHEMA, response: { 200: INFER_REPLY_SCHEMA, ...ERRORS } },
      preHandler: ctx.predictionGuard,
    };
    app.post<{ Body: V2InferBody; Params: { name: string } }>('/v2/models/:name/infer', route, async (request, reply) => {
      return send(reply, await infer(request.params.name, undefined, request.body, () => reply.elapsedTime));
    });
    app.post<{ Body: V2InferBody; Params: { name: string; version: string } }>(
      '/v2/models/:name/versions/:version/infer',
      route,
      async (request, reply) => {
        return send(reply, await infer(request.params.name, request.params.version, request.body, () => reply.elapsedTime));
      },
    );
  };
}
