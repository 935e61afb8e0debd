/** `nightshift notify add|list|remove|test`: webhooks told about approvals, promotions, rejections, failures, decay and drift. */
import os from 'node:os';
import type { ConfigSource } from '../catalog.ts';
import { printJson } from '../output.ts';
import { dispatch, numberFlag, parse, UsageError } from './args.ts';
import { type ConfigInput, configSource, withRegistry } from './connect.ts';
import { NOTIFY_HELP } from '../help/notify.ts';
import {
  addTarget,
  listDeliveries,
  listTargets,
  NOTIFICATION_EVENTS,
  redactUrl,
  removeTarget,
  type NotificationEvent,
} from '../../registry/notifications.ts';
import { didYouMean } from '../suggest.ts';
import { renderTable } from '../table.ts';
import { formatAge } from '../ages.ts';

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

async function add(argv: string[], config: ConfigSource): Promise<number> {
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

async function list(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, { deliveries: { type: 'string' }, json: { type: 'boolean' } });
  const n = numberFlag('deliveries', values.deliveries, { min: 0, max: 10_000, integer: true }) ?? 0;
  return withRegistry(config, async ({ db }) => {
    const now = Date.now();
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
              { header: 'TIME', value: (d) => formatAge(d.createdAt, now) },
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

async function remove(argv: string[], config: ConfigSource): Promise<number> {
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

async function test(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, { event: { type: 'string' }, json: { type: 'boolean' } });
  const [event] = values.event === undefined ? (['approval'] as NotificationEvent[]) : eventsFlag(values.event);
  return withRegistry(config, async ({ db }) => {
    const { deliverNotification } = await import('../../activities/pipeline/notify.ts');
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

export function notify(argv: string[], configInput: ConfigInput): Promise<number> {
  const config = configSource(configInput);
  return dispatch('notify', argv, NOTIFY_HELP, {
    add: { summary: 'add a webhook', run: (a) => add(a, config) },
    list: { summary: 'list webhooks', run: (a) => list(a, config) },
    remove: { summary: 'remove a webhook', run: (a) => remove(a, config) },
    test: { summary: 'send a test message', run: (a) => test(a, config) },
  });
}
