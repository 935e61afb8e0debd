/**
 * What a command connects to once its flags are checked: the registry, or the Temporal client of
 * the running stack. Both load their modules (PostgreSQL, the Temporal SDK) here, on first use.
 */
import type { Client } from '@temporalio/client';
import type { ConfigSource } from '../catalog.ts';
import type { Config } from '../../stack/config.ts';
import type { Registry } from '../../registry/open.ts';
import type { TemporalTarget } from '../../stack/stack.ts';

/** A command's configuration: read when first needed (the CLI), or given (a test or another program). */
export type ConfigInput = Config | ConfigSource;

export const configSource = (config: ConfigInput): ConfigSource => (typeof config === 'function' ? config : () => Promise.resolve(config));

/** Runs `fn` with the registry open (the embedded PostgreSQL started if needed), closing it after. */
export async function withRegistry<T>(loadConfig: ConfigSource, fn: (registry: Registry) => Promise<T>): Promise<T> {
  const [{ openRegistry }, config] = await Promise.all([import('../../registry/open.ts'), loadConfig()]);
  const registry = await openRegistry(config);
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}

/** Runs `fn` with a client of the running stack (TEMPORAL_ADDRESS, or the home's stack.json), closing it after. */
export async function withTemporal<T>(loadConfig: ConfigSource, fn: (client: Client, target: TemporalTarget) => Promise<T>): Promise<T> {
  const [{ resolveTemporal }, { connectClient }, config] = await Promise.all([
    import('../../stack/stack.ts'),
    import('../../runs/client.ts'),
    loadConfig(),
  ]);
  const target = await resolveTemporal(config);
  const { client, close } = await connectClient(target);
  try {
    return await fn(client, target);
  } finally {
    await close();
  }
}
