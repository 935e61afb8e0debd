/** `nightshift notify add|list|remove|test`: webhooks told about approvals, promotions, rejections, failures, decay and drift. */
import os from 'node:os';
import type { Config } from '../../stack/config.ts';
import { openRegistry, type Registry } from '../../registry/open.ts';
import { printJson } from '../output.ts';
import { dispatch, parse, UsageError } from './args.ts';
import {
  addTarget,
  listDeliveries,
  listTargets,
  NOTIFICATION_EVENTS,
  redactUrl,
  removeTarget,
  type NotificationEvent,
} from '../../registry/notifications.ts';
import { deliverNotification } from '../../activities/pipeline/notify.ts';
import { didYouMean } from '../suggest.ts';
import { renderTable } from '../table.ts';

export const NOTIFY_HELP = `Usage: nightshift notify add --url URL [--events E,E,...] [--json]
       nightshift notify list [--deliveries N] [--json]
       nightshift notify remove (--url URL | --id N) [--json]
       nightshift notify test [--event E] [--json]

Webhooks receive one JSON POST per event: {event, model, text, workflowId, runId, uiLink, command,
details}; chat tools such as Slack show its "text". Events: ${NOTIFICATION_EVENTS.join(', ')} (default: all).
  approval   a run waits for approval (text has the exact approve command and the UI link)
  promoted   a run promoted its candidate;  rejected   a run's candidate was rejected or not approved
  failed     a run failed (with the cause);  decay, drift   the monitor saw the model decay or drift
Delivery runs apart from the run (a child workflow), retries failed targets with backoff, and
records every attempt (notify list --deliveries N shows them); a failing webhook never fails or
delays a run. test sends a test message to every target (or those of --event) now.
A URL with credentials (https://user:pass@...) is refused: it would be stored and shown in plain
text; one stored before is listed without them and never delivered to (add it again without).`;

async function withRegistry<T>(config: Config, fn: (r: Registry) => Promise<T>): Promise<T> {
  const registry = await openRegistry(config);
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}

function eventsFlag(raw: string | undefined): NotificationEvent[] {
  if (raw === undefined) return [...NOTIFICATION_EVENTS];
  const events = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (events.length === 0) throw new UsageError('--events needs at least one event');
  for (const e of events) {
    if (!(NOTIFICATION_EVENTS as readonly string[]).includes(e)) {
      throw new UsageError(
        `unknown event ${JSON.stringify(e)}${didYouMean(e, NOTIFICATION_EVENTS)}; events: ${NOTIFICATION_EVENTS.join(', ')}`,
      );
    }
  }
  return [...new Set(events)] as NotificationEvent[];
}

function urlFlag(raw: string | undefined): string {
  if (!raw) throw new UsageError('notify add needs --url URL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url must be an http(s) URL, got ${JSON.stringify(raw)}`);
  if (url.username || url.password)
    throw new UsageError(
      `--url must not carry credentials (user:pass@): they would be stored and shown in plain text, and are never sent; use a URL whose path holds the webhook's secret (as Slack's do), got ${redactUrl(raw)}`,
    );
  return url.toString();
}

async function add(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, { url: { type: 'string' }, events: { type: 'string' }, json: { type: 'boolean' } });
  const url = urlFlag(values.url);
  const events = eventsFlag(values.events);
  return withRegistry(config, async ({ db }) => {
    const target = await addTarget(db, url, events, `person:${os.userInfo().username}`);
    if (values.json) printJson(target);
    else process.stdout.write(`webhook ${target.id} ${target.url}: ${target.events.join(', ')}\n`);
    return 0;
  });
}

async function list(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, { deliveries: { type: 'string' }, json: { type: 'boolean' } });
  const n = values.deliveries === undefined ? 0 : Number(values.deliveries);
  if (!Number.isInteger(n) || n < 0 || n > 10_000)
    throw new UsageError(`--deliveries must be an integer in 0..10000, got ${JSON.stringify(values.deliveries)}`);
  return withRegistry(config, async ({ db }) => {
    const targets = await listTargets(db);
    const deliveries = n ? await listDeliveries(db, n) : [];
    if (values.json) printJson({ targets, deliveries });
    else {
      process.stdout.write(
        targets.length
          ? renderTable(targets, [
              { header: 'ID', value: (t) => t.id, align: 'right' },
              {
                header: 'URL',
                value: (t) => (t.credentialsRefused ? `${t.url} (had credentials: not delivered; add it again without them)` : t.url),
              },
              { header: 'EVENTS', value: (t) => t.events.join(',') },
            ]) + '\n'
          : 'no webhooks (add one with `nightshift notify add --url URL`)\n',
      );
      if (deliveries.length)
        process.stdout.write(
          '\n' +
            renderTable(deliveries, [
              { header: 'TIME', value: (d) => d.createdAt },
              { header: 'EVENT', value: (d) => d.event },
              { header: 'STATUS', value: (d) => d.status },
              { header: 'URL', value: (d) => d.url },
              { header: 'ERROR', value: (d) => d.error },
            ]) +
            '\n',
        );
    }
    return 0;
  });
}

async function remove(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, { url: { type: 'string' }, id: { type: 'string' }, json: { type: 'boolean' } });
  if ((values.url === undefined) === (values.id === undefined)) throw new UsageError('notify remove needs --url URL or --id N');
  if (values.id !== undefined && !/^\d+$/.test(values.id))
    throw new UsageError(`--id must be a webhook id, got ${JSON.stringify(values.id)}`);
  const key = values.id ?? values.url!;
  return withRegistry(config, async ({ db }) => {
    if (!(await removeTarget(db, key))) throw new Error(`no webhook ${key} (see \`nightshift notify list\`)`);
    if (values.json) printJson({ removed: key });
    else process.stdout.write(`removed webhook ${key}\n`);
    return 0;
  });
}

async function test(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, { event: { type: 'string' }, json: { type: 'boolean' } });
  const [event] = values.event === undefined ? (['approval'] as NotificationEvent[]) : eventsFlag(values.event);
  return withRegistry(config, async ({ db }) => {
    const id = `notify-test-${Date.now()}`;
    const summary = await deliverNotification(db, { uiUrl: null, namespace: 'default' }, 1, {
      event,
      model: '(test)',
      summary: `a test message from \`nightshift notify test\` (event ${event})`,
      workflowId: id,
      runId: 'test',
    });
    if (values.json) printJson({ event, ...summary });
    else {
      process.stdout.write(`${summary.delivered} delivered, ${summary.failed.length} failed\n`);
      for (const f of summary.failed) process.stdout.write(`  ${f.url}: ${f.error}\n`);
    }
    return summary.failed.length ? 1 : 0;
  });
}

export function notify(argv: string[], config: Config): Promise<number> {
  return dispatch('notify', argv, NOTIFY_HELP, {
    add: { summary: 'add a webhook', run: (a) => add(a, config) },
    list: { summary: 'list webhooks', run: (a) => list(a, config) },
    remove: { summary: 'remove a webhook', run: (a) => remove(a, config) },
    test: { summary: 'send a test message', run: (a) => test(a, config) },
  });
}
