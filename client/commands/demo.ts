/**
 * `nightshift demo traffic`: production traffic for the demo model. The SpamAssassin messages the
 * demo feed has not released to training go to the running model server as prediction requests,
 * and their true labels follow as feedback after a delay, optionally with a share of them flipped
 * to simulate a model that decays. Bounded in count and time; loopback only unless --url says
 * otherwise.
 */
import type { Config } from '../../stack/config.ts';
import { openRegistry } from '../../registry/open.ts';
import { readStackFile } from '../../stack/stack-file.ts';
import { DEMO_MODEL, unreleasedMessages } from '../../data/spam-demo.ts';
import type { SpamAssassinMessage } from '../../data/spam-assassin.ts';
import { Rng } from '../../ml/rng.ts';
import { isLoopback } from '../../serve/options.ts';
import { log, printJson } from '../output.ts';
import { dispatch, modelFlag, parse, UsageError } from './args.ts';

export const DEMO_HELP = `Usage: nightshift demo traffic [--model spam] [--rate R] [--feedback-delay D] [--label-noise P]
                              [--limit N] [--duration D] [--seed N] [--url URL] [--json]

traffic: sends the SpamAssassin messages that the demo feed has not released to training (the
         newer mail, oldest first) to the running model server as prediction requests, one message
         a request, and their true labels as feedback after a delay: live metrics, the dashboard and
         the monitor then have something to watch. --label-noise P flips that share of the labels
         sent as feedback, so the live accuracy drops as if the model had decayed; with a monitor
         policy (nightshift monitor policy) the monitor then starts a retraining run.

  --model NAME        the demo model (default spam)
  --rate R            requests per second (default 5; at most 200)
  --feedback-delay D  how long after its prediction a label is sent: 5s (default), 500ms, 1m, 0
  --label-noise P     share of the feedback labels flipped, 0..1 (default 0)
  --limit N           send at most N messages (default 500; about 3,000 are unreleased at first)
  --duration D        stop sending after D (default 10m; at most 1h)
  --seed N            which labels get flipped (default 1)
  --url URL           the model server (default: the serveUrl of the running \`nightshift up\`,
                      which must be a loopback address; any other server only when named here)
  --json              print the summary as one JSON document on stdout

Progress goes to stderr every 2 s. Ctrl-C stops sending and sends the feedback owed at once.`;

const PROGRESS_EVERY_MS = 2000;
const FEEDBACK_TICK_MS = 200;
const FEEDBACK_BATCH = 1000;
const MAX_IN_FLIGHT = 16;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_CONSECUTIVE_FAILURES = 10;

export interface TrafficOptions {
  model: string;
  url: string;
  rate: number;
  feedbackDelayMs: number;
  labelNoise: number;
  limit: number;
  durationMs: number;
  seed: number;
  token: string | null;
}

export interface TrafficSummary {
  model: string;
  url: string;
  /** Why sending stopped: limit, duration, feed-exhausted, interrupted. */
  stoppedBy: string;
  seconds: number;
  sent: number;
  answered: number;
  failed: number;
  /** Predicted labels, and which versions answered. */
  predicted: Record<string, number>;
  versions: Record<string, number>;
  /** Predictions that matched the true label (not the noisy one sent as feedback). */
  accuracy: number | null;
  feedback: { sent: number; flipped: number; results: Record<string, number>; failed: number };
}

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

function numberFlag(flag: string, raw: string | undefined, fallback: number, min: number, max: number, integer = false): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** --url, else the serveUrl of the home's running `up`, which must be on loopback. */
function serverUrl(raw: string | undefined, config: Config): string {
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Owed {
  due: number;
  item: { prediction_id: string; label: string };
}

/** Sends the traffic; the messages come from the caller (the unreleased part of the demo feed). */
export async function sendTraffic(
  messages: SpamAssassinMessage[],
  o: TrafficOptions,
  stop: { requested: boolean },
): Promise<TrafficSummary> {
  const started = Date.now();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const rng = new Rng(o.seed);
  const s: TrafficSummary = {
    model: o.model,
    url: o.url,
    stoppedBy: 'limit',
    seconds: 0,
    sent: 0,
    answered: 0,
    failed: 0,
    predicted: {},
    versions: {},
    accuracy: null,
    feedback: { sent: 0, flipped: 0, results: {}, failed: 0 },
  };
  let correct = 0;
  let consecutiveFailures = 0;
  let lastError = '';
  const owed: Owed[] = [];
  const inFlight = new Set<Promise<void>>();

  const predictOne = async (m: SpamAssassinMessage, flip: boolean): Promise<void> => {
    try {
      const res = await fetch(`${o.url}/models/${encodeURIComponent(o.model)}/invocations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ inputs: [m.text] }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = (await res.json()) as {
        predictions?: Array<{ label: string; probabilities: Record<string, number>; prediction_id: string }>;
        model_version?: string;
        message?: string;
      };
      const p = body.predictions?.[0];
      if (!res.ok || !p) throw new Error(`${res.status}: ${body.message ?? 'no prediction in the reply'}`);
      s.answered++;
      consecutiveFailures = 0;
      s.predicted[p.label] = (s.predicted[p.label] ?? 0) + 1;
      s.versions[body.model_version ?? '?'] = (s.versions[body.model_version ?? '?'] ?? 0) + 1;
      if (p.label === m.label) correct++;
      const others = Object.keys(p.probabilities).filter((l) => l !== m.label);
      const label = flip && others.length ? others[0] : m.label;
      if (label !== m.label) s.feedback.flipped++;
      owed.push({ due: Date.now() + o.feedbackDelayMs, item: { prediction_id: p.prediction_id, label } });
    } catch (err) {
      s.failed++;
      consecutiveFailures++;
      lastError = (err as Error).message;
    }
  };

  const sendFeedback = async (all: boolean): Promise<void> => {
    const now = Date.now();
    for (;;) {
      const due = owed.filter((f) => all || f.due <= now).slice(0, FEEDBACK_BATCH);
      if (due.length === 0) return;
      owed.splice(0, owed.length, ...owed.filter((f) => !due.includes(f)));
      try {
        const res = await fetch(`${o.url}/v1/feedback`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ model: o.model, feedback: due.map((d) => d.item) }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = (await res.json()) as { results?: Array<{ status: string }>; message?: string };
        if (!res.ok || !body.results) throw new Error(`${res.status}: ${body.message ?? 'no results in the reply'}`);
        s.feedback.sent += due.length;
        for (const r of body.results) s.feedback.results[r.status] = (s.feedback.results[r.status] ?? 0) + 1;
      } catch (err) {
        s.feedback.failed += due.length;
        lastError = `feedback: ${(err as Error).message}`;
      }
    }
  };

  const progress = (): void => {
    const secs = (Date.now() - started) / 1000;
    log(
      `demo traffic: ${s.sent}/${Math.min(o.limit, messages.length)} sent (${(s.sent / Math.max(secs, 0.001)).toFixed(1)}/s), ` +
        `accuracy vs true labels ${s.answered ? (correct / s.answered).toFixed(3) : '-'}, feedback ${s.feedback.sent} sent ` +
        `(${s.feedback.flipped} flipped), ${s.failed + s.feedback.failed} errors${lastError ? ` (last: ${lastError})` : ''}`,
    );
  };
  const progressTimer = setInterval(progress, PROGRESS_EVERY_MS);
  const feedbackInFlight = new Set<Promise<void>>();
  const feedbackTick = (): void => {
    const p = sendFeedback(false).finally(() => feedbackInFlight.delete(p));
    feedbackInFlight.add(p);
  };
  const feedbackTimer = setInterval(feedbackTick, FEEDBACK_TICK_MS);
  try {
    const count = Math.min(o.limit, messages.length);
    if (count < o.limit) s.stoppedBy = 'feed-exhausted';
    for (let i = 0; i < count; i++) {
      if (stop.requested) {
        s.stoppedBy = 'interrupted';
        break;
      }
      if (Date.now() - started >= o.durationMs) {
        s.stoppedBy = 'duration';
        break;
      }
      if (consecutiveFailures >= MAX_CONSECUTIVE_FAILURES)
        throw new Error(`the model server at ${o.url} failed ${consecutiveFailures} requests in a row: ${lastError}`);
      const wait = started + (i * 1000) / o.rate - Date.now();
      if (wait > 0) await sleep(wait);
      while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      const flip = rng.next() < o.labelNoise;
      const p = predictOne(messages[i], flip).finally(() => inFlight.delete(p));
      inFlight.add(p);
      s.sent++;
    }
    await Promise.all(inFlight);
    // The labels still owed follow after their delay (at once when interrupted).
    while (owed.length && !stop.requested)
      await sleep(Math.min(FEEDBACK_TICK_MS, Math.max(0, Math.min(...owed.map((f) => f.due)) - Date.now())));
  } finally {
    clearInterval(progressTimer);
    clearInterval(feedbackTimer);
  }
  await Promise.all(feedbackInFlight);
  await sendFeedback(true);
  s.seconds = Math.round((Date.now() - started) / 100) / 10;
  s.accuracy = s.answered ? correct / s.answered : null;
  progress();
  return s;
}

async function traffic(argv: string[], config: Config): Promise<number> {
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
  if (values.help) {
    process.stdout.write(DEMO_HELP + '\n');
    return 0;
  }
  const model = modelFlag(values.model ?? DEMO_MODEL, 'demo traffic');
  const options: TrafficOptions = {
    model,
    url: serverUrl(values.url, config),
    rate: numberFlag('rate', values.rate, 5, 0.1, 200),
    feedbackDelayMs: durationMs('feedback-delay', values['feedback-delay'], 5000, 3_600_000),
    labelNoise: numberFlag('label-noise', values['label-noise'], 0, 0, 1),
    limit: numberFlag('limit', values.limit, 500, 1, 100_000, true),
    durationMs: durationMs('duration', values.duration, 600_000, 3_600_000),
    seed: numberFlag('seed', values.seed, 1, 0, 2 ** 32 - 1, true),
    token: config.serveToken,
  };
  const registry = await openRegistry(config);
  let feed: Awaited<ReturnType<typeof unreleasedMessages>>;
  try {
    feed = await unreleasedMessages(registry.db, model);
  } finally {
    await registry.close();
  }
  if (feed.released === 0)
    throw new Error(`model ${model} has no SpamAssassin demo data: \`nightshift up\` seeds the demo model ${DEMO_MODEL}`);
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

export function demo(argv: string[], config: Config): Promise<number> {
  return dispatch('demo', argv, DEMO_HELP, {
    traffic: { summary: 'send the unreleased demo mail as predictions, and its labels as feedback', run: (a) => traffic(a, config) },
  });
}
