/** Webhook targets and the record of every delivery attempt (delivered or failed, with why). */
import type { Queryable } from './pool.ts';

export const NOTIFICATION_EVENTS = ['approval', 'promoted', 'rejected', 'failed', 'decay', 'drift'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface NotificationTarget {
  id: number;
  /** Without credentials (see redactUrl); a target stored with some is never delivered to. */
  url: string;
  /** The stored URL carried credentials (stored before they were refused, or written by hand): it is not delivered to. */
  credentialsRefused: boolean;
  events: NotificationEvent[];
  createdBy: string;
  createdAt: string;
}

interface RawTarget {
  id: string;
  url: string;
  events: NotificationEvent[];
  created_by: string;
  created_at: Date;
}

const toTarget = (r: RawTarget): NotificationTarget => ({
  id: Number(r.id),
  url: redactUrl(r.url),
  credentialsRefused: hasUrlCredentials(r.url),
  events: r.events,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
});

/** Whether a URL carries credentials (user:pass@ or user@): they belong in headers, never in a stored URL. */
export function hasUrlCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/.test(url);
  }
}

/** The URL without its credentials, for anything shown, stored or sent through Temporal. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1');
  }
}

/** Adds a target, or updates the events of the one with that URL; a URL with credentials is refused. */
export async function addTarget(
  db: Queryable,
  url: string,
  events: readonly NotificationEvent[],
  createdBy: string,
): Promise<NotificationTarget> {
  if (hasUrlCredentials(url)) throw new Error(`webhook URL ${redactUrl(url)} carries credentials (user:pass@): refused`);
  const { rows } = await db.query<RawTarget>(
    `INSERT INTO notification_targets (url, events, created_by) VALUES ($1, $2, $3)
     ON CONFLICT (url) DO UPDATE SET events = EXCLUDED.events RETURNING *`,
    [url, events, createdBy],
  );
  return toTarget(rows[0]);
}

export async function listTargets(db: Queryable, event?: NotificationEvent): Promise<NotificationTarget[]> {
  const { rows } = event
    ? await db.query<RawTarget>('SELECT * FROM notification_targets WHERE $1 = ANY(events) ORDER BY id', [event])
    : await db.query<RawTarget>('SELECT * FROM notification_targets ORDER BY id');
  return rows.map(toTarget);
}

/** Removes a target by id or URL; returns whether one was removed. */
export async function removeTarget(db: Queryable, idOrUrl: string): Promise<boolean> {
  const byId = /^\d+$/.test(idOrUrl);
  const { rowCount } = await db.query(`DELETE FROM notification_targets WHERE ${byId ? 'id = $1' : 'url = $1'}`, [
    byId ? Number(idOrUrl) : idOrUrl,
  ]);
  return (rowCount ?? 0) > 0;
}

export interface DeliveryRecord {
  targetId: number | null;
  url: string;
  event: NotificationEvent;
  model: string | null;
  status: 'delivered' | 'failed';
  httpStatus: number | null;
  error: string | null;
  attempt: number;
  source: string;
}

export async function recordDelivery(db: Queryable, d: DeliveryRecord): Promise<void> {
  d = { ...d, url: redactUrl(d.url) };
  await db.query(
    `INSERT INTO notification_deliveries (target_id, url, event, model, status, http_status, error, attempt, source)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [d.targetId, d.url, d.event, d.model, d.status, d.httpStatus, d.error, d.attempt, d.source],
  );
}

export async function listDeliveries(db: Queryable, limit: number): Promise<Array<DeliveryRecord & { createdAt: string }>> {
  const { rows } = await db.query<{
    target_id: string | null;
    url: string;
    event: NotificationEvent;
    model: string | null;
    status: 'delivered' | 'failed';
    http_status: number | null;
    error: string | null;
    attempt: number;
    source: string;
    created_at: Date;
  }>('SELECT * FROM notification_deliveries ORDER BY id DESC LIMIT $1', [limit]);
  return rows.map((r) => ({
    targetId: r.target_id === null ? null : Number(r.target_id),
    url: r.url,
    event: r.event,
    model: r.model,
    status: r.status,
    httpStatus: r.http_status,
    error: r.error,
    attempt: r.attempt,
    source: r.source,
    createdAt: r.created_at.toISOString(),
  }));
}
