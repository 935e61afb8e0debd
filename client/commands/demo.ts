/**
 * `nightshift demo traffic`: production traffic for the demo model. The SpamAssassin messages the
 * demo feed has not released to training go to the running model server as prediction requests,
 * and their true labels follow as feedback after a delay, optionally with a share of them flipped
 * to simulate a model that decays. Bounded in count and time; loopback only unless --url says
 * otherwise.
 */
import type { Config } from '../../stack/config.ts';
import type { ConfigSource } from '../catalog.ts';
import { isLoopback } from '../../serve/options.ts';
import { log, printJson } from '../output.ts';
import { dispatch, modelFlag, numberFlag, parse, UsageError } from './args.ts';
import { type ConfigInput, configSource, withRegistry } from './connect.ts';
import { DEMO_HELP } from '../help/demo.ts';
import { DEMO_MODEL_NAME } from './data.ts';
import { sendTraffic, type TrafficOptions } from './demo-traffic.ts';

export type { TrafficSummary } from './demo-traffic.ts';

function durationMs(flag: string, raw: string | undefined, fallback: number, maxMs: number): number {
  if (raw === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(raw.trim());
  const ms = raw.trim() === '0' ? 0 : m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 0) || ms > maxMs)
    throw new UsageError(
      `--${flag} must be a duration such as 500ms, 5s, 2m (at most ${maxMs / 60_000} minutes), got ${JSON.stringify(raw)}`,
    );
  return ms;
}

/** --url, else the serveUrl of the home's running `up`, which must be on loopback. */
function serverUrl(raw: string | undefined, config: Config, readStackFile: (home: string) => { serveUrl?: string } | null): string {
  if (raw !== undefined) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new UsageError(`--url must be a URL such as http://127.0.0.1:8080, got ${JSON.stringify(raw)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--url must be http or https, got ${u.protocol}`);
    return u.origin;
  }
  const served = readStackFile(config.home)?.serveUrl;
  if (!served)
    throw new Error(
      `no model server is advertised in ${config.home}: start \`nightshift up\` (it serves on NIGHTSHIFT_SERVE_PORT), or pass --url`,
    );
  const u = new URL(served);
  if (!isLoopback(u.hostname.replace(/^\[|\]$/g, '')))
    throw new Error(`the running stack serves on ${served}, which is not a loopback address; name it with --url to send traffic there`);
  return u.origin;
}

async function traffic(argv: string[], loadConfig: ConfigSource): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    rate: { type: 'string' },
    'feedback-delay': { type: 'string' },
    'label-noise': { type: 'string' },
    limit: { type: 'string' },
    duration: { type: 'string' },
    seed: { type: 'string' },
    url: { type: 'string' },
    json: { type: 'boolean' },
  });
  const model = modelFlag(values.model ?? DEMO_MODEL_NAME, 'demo traffic');
  const checked = {
    model,
    rate: numberFlag('rate', values.rate, { min: 0.1, max: 200 }) ?? 5,
    feedbackDelayMs: durationMs('feedback-delay', values['feedback-delay'], 5000, 3_600_000),
    labelNoise: numberFlag('label-noise', values['label-noise'], { min: 0, max: 1 }) ?? 0,
    limit: numberFlag('limit', values.limit, { min: 1, max: 100_000, integer: true }) ?? 500,
    durationMs: durationMs('duration', values.duration, 600_000, 3_600_000),
    seed: numberFlag('seed', values.seed, { min: 0, max: 2 ** 32 - 1, integer: true }) ?? 1,
  };
  const [config, { readStackFile }, { unreleasedMessages }] = await Promise.all([
    loadConfig(),
    import('../../stack/stack-file.ts'),
    import('../../data/spam-demo.ts'),
  ]);
  const options: TrafficOptions = { ...checked, url: serverUrl(values.url, config, readStackFile), token: config.serveToken };
  const feed = await withRegistry(loadConfig, ({ db }) => unreleasedMessages(db, model));
  if (feed.released === 0)
    throw new Error(`model ${model} has no SpamAssassin demo data: \`nightshift up\` seeds the demo model ${DEMO_MODEL_NAME}`);
  if (feed.messages.length === 0) throw new Error(`every SpamAssassin message was released to training already; nothing is left to send`);
  const ready = await fetch(`${options.url}/v2/models/${encodeURIComponent(model)}/ready`, { signal: AbortSignal.timeout(5000) }).catch(
    (err: Error) => {
      throw new Error(`cannot reach the model server at ${options.url}: ${err.message}`);
    },
  );
  if (!ready.ok) {
    const body = (await ready.json().catch(() => ({}))) as { error?: string };
    throw new Error(`the model server at ${options.url} does not serve ${model}: ${body.error ?? ready.status}`);
  }
  log(
    `demo traffic: ${Math.min(options.limit, feed.messages.length)} of the ${feed.messages.length} unreleased messages to ${options.url} ` +
      `at ${options.rate}/s, feedback after ${options.feedbackDelayMs / 1000}s, label noise ${options.labelNoise}`,
  );
  const stop = { requested: false };
  const onSignal = (): void => {
    if (stop.requested) process.exit(130);
    stop.requested = true;
    log('demo traffic: stopping (again to quit at once); sending the feedback owed');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await sendTraffic(feed.messages, options, stop);
    if (values.json) printJson(summary);
    else
      process.stdout.write(
        `${summary.sent} predictions sent to ${summary.url} in ${summary.seconds}s (${summary.stoppedBy}): ${summary.answered} answered, ${summary.failed} failed\n` +
          `  predicted: ${
            Object.entries(summary.predicted)
              .map(([l, n]) => `${l} ${n}`)
              .join(', ') || '-'
          }; versions: ${
            Object.entries(summary.versions)
              .map(([v, n]) => `v${v} ${n}`)
              .join(', ') || '-'
          }\n` +
          `  accuracy against the true labels: ${summary.accuracy === null ? '-' : summary.accuracy.toFixed(4)}\n` +
          `  feedback: ${summary.feedback.sent} sent (${summary.feedback.flipped} labels flipped): ${
            Object.entries(summary.feedback.results)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ') || '-'
          }${summary.feedback.failed ? `; ${summary.feedback.failed} failed` : ''}\n`,
      );
    return summary.answered === 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function demo(argv: string[], configInput: ConfigInput): Promise<number> {
  const config = configSource(configInput);
  return dispatch('demo', argv, DEMO_HELP, {
    traffic: { summary: 'send the unreleased demo mail as predictions, and its labels as feedback', run: (a) => traffic(a, config) },
  });
}
