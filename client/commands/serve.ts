/** `nightshift serve`: flags first; Fastify and the registry load when the server starts. */
import { configSource, type ConfigInput } from './connect.ts';
import { log } from '../output.ts';
import { numberFlag, optionalModelFlag, parse, UsageError } from './args.ts';
import { ServeOptionsError, type ServeOptions } from '../../serve/options.ts';

const wholeNumber = (flag: string, raw: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined =>
  numberFlag(flag, raw, { min: 0, max, integer: true });

/** "30", "30d" or "12h" -> days. */
export function retentionDays(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(d|h)?$/.exec(raw.trim());
  const value = m ? Number(m[1]) : NaN;
  if (!m || !(value > 0))
    throw new UsageError(`--retention must be a positive number of days (30, 30d) or hours (12h), got ${JSON.stringify(raw)}`);
  return m[2] === 'h' ? value / 24 : value;
}

export async function serve(argv: string[], loadConfigInput: ConfigInput): Promise<number> {
  const loadConfig = configSource(loadConfigInput);
  const { values } = parse(argv, {
    model: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'no-log-text': { type: 'boolean' },
    retention: { type: 'string' },
    'require-token-for-predictions': { type: 'boolean' },
    'public-predictions': { type: 'boolean' },
    'allowed-host': { type: 'string' },
    'body-limit': { type: 'string' },
    'max-batch': { type: 'string' },
    'poll-interval': { type: 'string' },
  });
  const model = optionalModelFlag(values.model, 'serve');
  const port = wholeNumber('port', values.port, 65535);
  const options: Partial<ServeOptions> = {
    model: model ?? null,
    logText: !values['no-log-text'],
    retentionDays: retentionDays(values.retention),
    requireTokenForPredictions: values['require-token-for-predictions'] ?? false,
    publicPredictions: values['public-predictions'] ?? false,
    allowedHosts: (values['allowed-host'] ?? process.env.NIGHTSHIFT_SERVE_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h.length > 0),
    bodyLimit: wholeNumber('body-limit', values['body-limit']),
    maxBatch: wholeNumber('max-batch', values['max-batch']),
    pollMs: wholeNumber('poll-interval', values['poll-interval']),
  };
  const [{ resolveTemporal }, { openRegistry }, { startModelServer }, config] = await Promise.all([
    import('../../stack/stack.ts'),
    import('../../registry/open.ts'),
    import('../../serve/server.ts'),
    loadConfig(),
  ]);
  const registry = await openRegistry(config);
  let server: Awaited<ReturnType<typeof startModelServer>>;
  try {
    server = await startModelServer({
      db: registry.db,
      databaseUrl: registry.databaseUrl,
      config,
      host: values.host,
      port,
      log,
      options,
      // Runs on the dashboard: TEMPORAL_ADDRESS or the home's running stack, when there is one.
      temporal: () => resolveTemporal(config),
    });
  } catch (err) {
    await registry.close();
    if (err instanceof ServeOptionsError) throw new UsageError(err.message);
    throw err;
  }
  const served = server.server.store.list();
  log(
    `model server on ${server.url}: ${served.map((e) => `${e.name} ${e.served ? `v${e.served.version}` : '(no production version yet)'}`).join(', ') || 'no models yet'}`,
  );
  process.stdout.write(`${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log('model server: stopping (finishing requests, writing the prediction log)');
  await server.close();
  await registry.close();
  return 0;
}
