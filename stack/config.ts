/**
 * Configuration from the environment (DESIGN.md): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * NIGHTSHIFT_TASK_QUEUE, DATABASE_URL, NIGHTSHIFT_HOME. With none set, the embedded stack is used.
 * Ports of the embedded stack: NIGHTSHIFT_TEMPORAL_PORT (7233), NIGHTSHIFT_UI_PORT (8233),
 * NIGHTSHIFT_PG_PORT (5433).
 */
import path from 'node:path';
import { DEFAULT_TASK_QUEUE } from '../workflows/definitions.ts';

export interface Config {
  home: string;
  temporalAddress: string | null;
  namespace: string;
  taskQueue: string;
  databaseUrl: string | null;
  temporalPort: number;
  uiPort: number;
  pgPort: number;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a port number (1-65535), got ${JSON.stringify(raw)}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    home: path.resolve(env.NIGHTSHIFT_HOME || '.nightshift'),
    temporalAddress: env.TEMPORAL_ADDRESS || null,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.NIGHTSHIFT_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    databaseUrl: env.DATABASE_URL || null,
    temporalPort: port(env, 'NIGHTSHIFT_TEMPORAL_PORT', 7233),
    uiPort: port(env, 'NIGHTSHIFT_UI_PORT', 8233),
    pgPort: port(env, 'NIGHTSHIFT_PG_PORT', 5433),
  };
}
