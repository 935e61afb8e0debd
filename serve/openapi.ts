/**
 * GET /openapi.json: an OpenAPI 3.1 document of the server's routes, assembled from the JSON
 * schemas the routes declare (body, querystring, reply per status code) as Fastify registers them,
 * so it cannot drift from what the server validates. OpenAPI 3.1 schemas are JSON Schema, so the
 * route schemas go in unchanged.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

interface RouteSchema {
  body?: unknown;
  querystring?: { properties?: Record<string, unknown>; required?: string[] };
  response?: Record<string, unknown>;
}

interface Operation {
  summary?: string;
  parameters?: Array<Record<string, unknown>>;
  requestBody?: Record<string, unknown>;
  responses: Record<string, unknown>;
}

/** Request media types beside application/json, by route. */
const EXTRA_BODY_TYPES: Array<{
  match: (url: string) => boolean;
  description: string;
  types: Record<string, unknown>;
  replyTypes?: Record<string, unknown>;
}> = [
  {
    match: (url) => url.startsWith('/v2/') && url.endsWith('/infer'),
    description:
      'JSON under any Content-Type (or none), or the binary tensor data extension: the JSON request (Inference-Header-Content-Length bytes), then the raw bytes of each input with parameters.binary_data_size. gzip or deflate (Content-Encoding) is decoded.',
    types: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    // With binary_data outputs asked for: the JSON reply (Inference-Header-Content-Length bytes), then those outputs' bytes.
    replyTypes: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  },
  {
    match: (url) => url === '/invocations' || url.endsWith('/invocations'),
    description:
      'JSON, or CSV: a header line naming a "text" column, then one row per text. gzip or deflate (Content-Encoding) is decoded.',
    types: { 'text/csv': { schema: { type: 'string' } } },
  },
];

const STATUS_TEXT: Record<string, string> = {
  200: 'OK',
  400: 'Bad request',
  401: 'Missing or wrong bearer token',
  404: 'Not found',
  413: 'Body too large',
  415: 'Unsupported media type or content encoding',
  503: 'Not ready',
};

const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export function buildOpenApi(
  routes: ReadonlyArray<Pick<RouteOptions, 'method' | 'url' | 'schema'>>,
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of routes) {
    // Wildcard routes (the dashboard's assets) are not an API.
    if (route.url.includes('*') || route.url === '/openapi.json') continue;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
    const schema = (route.schema ?? {}) as RouteSchema;
    const path = openApiPath(route.url);
    for (const method of methods) {
      const parameters: Array<Record<string, unknown>> = [];
      for (const [, name] of route.url.matchAll(/:([A-Za-z0-9_]+)/g)) {
        parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
      }
      for (const [name, s] of Object.entries(schema.querystring?.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.querystring?.required?.includes(name) ?? false, schema: s });
      }
      const op: Operation = { responses: {} };
      if (parameters.length) op.parameters = parameters;
      const extra = EXTRA_BODY_TYPES.find((e) => e.match(route.url));
      if (schema.body !== undefined) {
        op.requestBody = {
          required: true,
          ...(extra ? { description: extra.description } : {}),
          content: { 'application/json': { schema: schema.body }, ...extra?.types },
        };
      }
      const responses = schema.response ?? { 200: {} };
      for (const [status, s] of Object.entries(responses)) {
        const empty = s === null || typeof s !== 'object' || Object.keys(s).length === 0;
        op.responses[status] = {
          description: STATUS_TEXT[status] ?? `HTTP ${status}`,
          ...(empty ? {} : { content: { 'application/json': { schema: s } } }),
        };
      }
      if (!op.responses['200']) op.responses['200'] = { description: 'OK' };
      const ok = op.responses['200'] as { content?: Record<string, unknown> };
      if (extra?.replyTypes && ok.content) Object.assign(ok.content, extra.replyTypes);
      paths[path] ??= {};
      paths[path][method.toLowerCase()] = op;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Nightshift model server',
      version,
      description:
        "MLflow's scoring protocol (/invocations), the Open Inference Protocol v2 (/v2), feedback, live metrics (/v1) and Prometheus metrics (/metrics).",
    },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** Records the routes as they are registered and serves the document; call before registering them. */
export function useOpenApi(app: FastifyInstance, version: string): void {
  const routes: Array<Pick<RouteOptions, 'method' | 'url' | 'schema'>> = [];
  app.addHook('onRoute', (route) => {
    routes.push({ method: route.method, url: route.url, schema: route.schema });
  });
  let document: Record<string, unknown> | null = null;
  app.get('/openapi.json', async () => (document ??= buildOpenApi(routes, version)));
}
