/**
 * The JSON the CLI prints with --json, served for the dashboard and anyone else: the registry's
 * models (models list/show), the monitor's policy and events (monitor policy/events), retraining
 * runs and those waiting for approval (runs list, from Temporal), and an overview of every model.
 * The documents are built by views/, the same functions the CLI commands call.
 */
import type { FastifyInstance } from 'fastify';
import { RegistryError } from '../../registry/errors.ts';
import { checkModelName } from '../../registry/models.ts';
import { modelDetail, modelsList } from '../../views/models.ts';
import { monitorEventsList, monitorPolicyView } from '../../views/monitor.ts';
import { modelsOverview } from '../../views/overview.ts';
import { runsAwaitingApproval, runsList } from '../../views/runs.ts';
import type { ServeContext } from '../context.ts';
import { HttpError } from '../http-errors.ts';
import type { TemporalAccess } from '../temporal-access.ts';

const NAME_PARAMS = { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['name'] } as const;
const LIMIT = { type: 'string', pattern: '^[1-9][0-9]{0,3}$' } as const;

/** Registry reads: unknown names are 404, an unreachable PostgreSQL is 503. */
async function registryRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof RegistryError) throw new HttpError(404, err.message);
    throw new HttpError(503, `the registry is unavailable: ${(err as Error).message}`);
  }
}

function modelName(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  try {
    return checkModelName(raw);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
}

export function viewRoutes(ctx: ServeContext, temporal: TemporalAccess) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get('/v1/overview', async () => {
      const served = ctx.store.list().map((e) => ({ name: e.name, version: e.served?.versionText ?? null, loadError: e.loadError }));
      const { models } = await registryRead(() => modelsOverview(ctx.db, served));
      const probe = await temporal.use(async () => true);
      return {
        server: { version: ctx.serverVersion, predictionLog: ctx.predictionLog.stats() },
        temporal: probe.available
          ? { available: true, uiUrl: probe.target.uiUrl, namespace: probe.target.namespace, reason: null }
          : { available: false, uiUrl: null, namespace: null, reason: probe.reason },
        models,
      };
    });
    app.get('/v1/registry/models', async () => registryRead(() => modelsList(ctx.db)));
    app.get<{ Params: { name: string } }>('/v1/registry/models/:name', { schema: { params: NAME_PARAMS } }, async (request) =>
      registryRead(() => modelDetail(ctx.db, request.params.name)),
    );
    app.get<{ Params: { name: string }; Querystring: { limit?: string } }>(
      '/v1/models/:name/events',
      { schema: { params: NAME_PARAMS, querystring: { type: 'object', properties: { limit: LIMIT }, additionalProperties: false } } },
      async (request) => registryRead(() => monitorEventsList(ctx.db, request.params.name, Number(request.query.limit ?? 20))),
    );
    app.get<{ Params: { name: string } }>('/v1/models/:name/monitor-policy', { schema: { params: NAME_PARAMS } }, async (request) =>
      registryRead(() => monitorPolicyView(ctx.db, request.params.name)),
    );
    app.get<{ Querystring: { model?: string; limit?: string } }>(
      '/v1/runs',
      {
        schema: {
          querystring: { type: 'object', properties: { model: { type: 'string' }, limit: LIMIT }, additionalProperties: false },
        },
      },
      async (request) => {
        const model = modelName(request.query.model);
        const limit = Number(request.query.limit ?? 20);
        const r = await temporal.use((client, target) => runsList(client, model, { limit, links: target }));
        if (!r.available) throw new HttpError(503, `runs are unavailable: ${r.reason}`);
        return r.value;
      },
    );
    app.get<{ Querystring: { model?: string } }>(
      '/v1/runs/awaiting-approval',
      { schema: { querystring: { type: 'object', properties: { model: { type: 'string' } }, additionalProperties: false } } },
      async (request) => {
        const model = modelName(request.query.model);
        const r = await temporal.use((client, target) => runsAwaitingApproval(client, model, target));
        if (!r.available) throw new HttpError(503, `runs are unavailable: ${r.reason}`);
        return r.value;
      },
    );
  };
}
