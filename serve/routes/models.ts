/**
 * Read-only JSON for people and the dashboard: the served models and versions, and a model's
 * live metrics (the same document as `nightshift monitor show --json`).
 */
import type { FastifyInstance } from 'fastify';
import { MonitorRangeError, monitorReport } from '../../registry/live-metrics.ts';
import { RegistryError } from '../../registry/errors.ts';
import type { ServeContext } from '../context.ts';
import { HttpError } from '../http-errors.ts';

const QUERY_SCHEMA = {
  type: 'object',
  properties: {
    window: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' },
    windows: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    last: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
  },
  additionalProperties: false,
} as const;

export function modelRoutes(ctx: ServeContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get('/v1/models', async () => ({
      models: ctx.store.list().map((e) => ({
        name: e.name,
        version: e.served ? e.served.version : null,
        sha256: e.served ? e.served.sha256 : null,
        labels: e.served ? e.served.labels : null,
        loadedAt: e.served ? e.served.loadedAt.toISOString() : null,
        loadError: e.loadError,
      })),
      predictionLog: ctx.predictionLog.stats(),
    }));
    app.get<{ Params: { name: string }; Querystring: { window?: string; windows?: string; last?: string } }>(
      '/v1/models/:name/monitor',
      { schema: { querystring: QUERY_SCHEMA } },
      async (request) => {
        if (!ctx.store.get(request.params.name)) throw new HttpError(404, `unknown model ${JSON.stringify(request.params.name)}`);
        const q = request.query;
        const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
        await ctx.predictionLog.flush(2000);
        try {
          return await monitorReport(ctx.db, request.params.name, {
            windowSeconds: num(q.window),
            windows: num(q.windows),
            lastN: num(q.last),
          });
        } catch (err) {
          if (err instanceof RegistryError) throw new HttpError(404, err.message);
          if (err instanceof MonitorRangeError) throw new HttpError(400, err.message);
          throw new HttpError(503, `the registry is unavailable: ${(err as Error).message}`);
        }
      },
    );
  };
}
