/**
 * Webhook notifications: one JSON message per target subscribed to the event, with a `text` field
 * chat tools (Slack, Mattermost, ...) display. Every attempt is recorded; a target that already got
 * this message (same source and event) is not sent it again, so Temporal's retries re-send only to
 * the targets that failed. Runs in its own child workflow, so a failing webhook never fails or
 * delays a run.
 */
import { listTargets, recordDelivery, type NotificationEvent } from '../../registry/notifications.ts';
import type { Db } from '../../registry/pool.ts';

export interface NotificationInput {
  event: NotificationEvent;
  model: string;
  /** What happened, in one line; the text gets the model and link added. */
  summary: string;
  /** The workflow it is about (a run, a monitor evaluation). */
  workflowId: string;
  runId: string;
  /** A command the reader can run, e.g. the approve command. */
  command?: string;
  /** Numbers behind the message (outcome, versions, metrics, breaches). */
  details?: Record<string, unknown>;
}

export interface NotificationLinks {
  /** The Temporal Web UI's base URL, when known (`nightshift up` knows it). */
  uiUrl: string | null;
  namespace: string;
}

export interface DeliverySummary {
  delivered: number;
  failed: Array<{ url: string; error: string }>;
}

const TIMEOUT_MS = 5000;

export function uiLinkOf(links: NotificationLinks, workflowId: string, runId: string): string | null {
  if (!links.uiUrl) return null;
  return `${links.uiUrl}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

/** The message a target receives. */
export function notificationMessage(input: NotificationInput, links: NotificationLinks) {
  const uiLink = uiLinkOf(links, input.workflowId, input.runId);
  const text = [
    `[nightshift] ${input.model}: ${input.summary}`,
    ...(input.command ? [`Run: ${input.command}`] : []),
    ...(uiLink ? [uiLink] : []),
  ].join('\n');
  return {
    event: input.event,
    model: input.model,
    text,
    workflowId: input.workflowId,
    runId: input.runId,
    uiLink,
    command: input.command ?? null,
    details: input.details ?? {},
  };
}

async function post(url: string, body: unknown): Promise<{ status: number | null; error: string | null }> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'nightshift-webhook' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'manual',
    });
    await res.body?.cancel();
    return res.ok ? { status: res.status, error: null } : { status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { status: null, error: e.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000}s` : (e.cause?.code ?? e.message) };
  }
}

export async function deliverNotification(
  db: Db,
  links: NotificationLinks,
  attempt: number,
  input: NotificationInput,
): Promise<DeliverySummary> {
  const source = `${input.workflowId}/${input.runId}`;
  const targets = await listTargets(db, input.event);
  const done = await db.query<{ url: string }>(
    `SELECT DISTINCT url FROM notification_deliveries WHERE source = $1 AND event = $2 AND status = 'delivered'`,
    [source, input.event],
  );
  const already = new Set(done.rows.map((r) => r.url));
  const message = notificationMessage(input, links);
  const summary: DeliverySummary = { delivered: already.size, failed: [] };
  await Promise.all(
    targets
      .filter((t) => !already.has(t.url))
      .map(async (t) => {
        // A target stored with credentials in its URL (see registry/notifications.ts) is never sent to.
        const r = t.credentialsRefused
          ? { status: null, error: 'the webhook URL carried credentials (refused): add it again without them' }
          : await post(t.url, message);
        await recordDelivery(db, {
          targetId: t.id,
          url: t.url,
          event: input.event,
          model: input.model,
          status: r.error ? 'failed' : 'delivered',
          httpStatus: r.status,
          error: r.error,
          attempt,
          source,
        });
        if (r.error) summary.failed.push({ url: t.url, error: r.error });
        else summary.delivered++;
      }),
  );
  return summary;
}
