/** GET /metrics: the process's prom-client registry in the Prometheus text format. */
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.ts';

export function metricsRoutes(ctx: ServeContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get('/metrics', async (_request, reply) => {
      void reply.header('content-type', ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    });
  };
}
