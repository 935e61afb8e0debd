/**
 * What the stock clients need beyond the routes: their request bodies (content-types.ts) and the
 * OpenAPI document of the routes (openapi.ts). One call, before the routes are registered.
 */
import type { FastifyInstance } from 'fastify';
import { useProtocolContentTypes } from './content-types.ts';
import { useOpenApi } from './openapi.ts';

export function useProtocols(app: FastifyInstance, serverVersion: string): void {
  useProtocolContentTypes(app);
  useOpenApi(app, serverVersion);
}
