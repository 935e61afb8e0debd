/**
 * Live metrics of a served model, from the prediction log joined with its feedback: per served
 * version, over fixed time windows (by prediction time) and over the last N labelled predictions
 * of the production version. PostgreSQL aggregates the rows to (predicted, true) counts; the pure
 * live-windows module scores them with the offline metric functions. This is the JSON of
 * `nightshift monitor show --json` and of the server's GET /v1/models/{name}/monitor.
 */
import { liveScores, type LiveScores, type OutcomeCount } from '../ml/live-windows.ts';
import { getModel } from './models.ts';
import type { Queryable } from './pool.ts';
import { PRODUCTION } from './promotions.ts';

export interface LiveMetricsOptions {
  /** Width of a window in seconds (default 3600: hourly). */
  windowSeconds?: number;
  /** How many windows back from now (default 24). */
  windows?: number;
  /** The last N labelled predictions of the production version (default 500). */
  lastN?: number;
  now?: Date;
}

export interface LatencySummary {
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface VersionScores extends LiveScores {
  version: number | null;
  latencyMs: LatencySummary;
}

export interface WindowScores extends VersionScores {
  start: string;
  end: string;
}

export interface MonitorReport {
  model: string;
  generatedAt: string;
  windowSeconds: number;
  /** The production version's scores over every logged prediction it made (within retention). */
  current: VersionScores;
  lastN: LiveScores & { n: number; version: number | null };
  /** One entry per (window, version) that made predictions, oldest first. */
  windows: WindowScores[];
}

/** The widest window: a year (and a leap day). */
export const MAX_WINDOW_SECONDS = 366 * 86_400;
/** How far back the windows may reach together (window x windows): a century, well inside PostgreSQL's timestamps. */
export const MAX_SPAN_SECONDS = 100 * 365 * 86_400;

/** A monitor report asked for with options out of range: a caller's mistake (CLI exit 2, HTTP 400), never a database error. */
export class MonitorRangeError extends RangeError {}

/** The options with their defaults, or a MonitorRangeError naming the option (window, windows, last) first. */
export function checkOptions(o: LiveMetricsOptions): Required<LiveMetricsOptions> {
  const windowSeconds = o.windowSeconds ?? 3600;
  const windows = o.windows ?? 24;
  const lastN = o.lastN ?? 500;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > MAX_WINDOW_SECONDS)
    throw new MonitorRangeError(
      `window must be a whole number of seconds from 1 to ${MAX_WINDOW_SECONDS} (366 days), got ${windowSeconds}`,
    );
  if (!Number.isInteger(windows) || windows < 1 || windows > 10_000) throw new MonitorRangeError(`windows must be an integer in 1..10000`);
  if (windowSeconds * windows > MAX_SPAN_SECONDS)
    throw new MonitorRangeError(
      `window x windows must reach back at most 100 years (${MAX_SPAN_SECONDS} s), got ${windowSeconds} s x ${windows}`,
    );
  if (!Number.isInteger(lastN) || lastN < 1 || lastN > 1_000_000) throw new MonitorRangeError(`last must be an integer in 1..1000000`);
  return { windowSeconds, windows, lastN, now: o.now ?? new Date() };
}

const EMPTY_LATENCY: LatencySummary = { mean: null, p50: null, p95: null, p99: null };

interface RawLatency {
  mean: number | null;
  q: number[] | null;
}
const toLatency = (r: RawLatency | undefined): LatencySummary =>
  r && r.q ? { mean: r.mean, p50: r.q[0], p95: r.q[1], p99: r.q[2] } : EMPTY_LATENCY;

export async function monitorReport(db: Queryable, modelName: string, options: LiveMetricsOptions = {}): Promise<MonitorReport> {
  const o = checkOptions(options);
  const model = await getModel(db, modelName);
  const since = new Date(Math.floor(o.now.getTime() / 1000 / o.windowSeconds - (o.windows - 1)) * o.windowSeconds * 1000);

  const prod = await db.query<{ version_id: string; version: number }>(
    `SELECT a.version_id, v.version FROM aliases a JOIN model_versions v ON v.id = a.version_id WHERE a.model_id = $1 AND a.alias = $2`,
    [model.id, PRODUCTION],
  );
  const production = prod.rows[0] ? { id: Number(prod.rows[0].version_id), version: prod.rows[0].version } : null;

  // Windows: outcome counts and latency per (window, version).
  const outcomes = await db.query<{ w: string; version: number; label: string; label_true: string | null; n: string }>(
    `SELECT floor(extract(epoch FROM created_at) / $2)::bigint AS w, version, label, label_true, count(*) AS n
     FROM predictions WHERE model_id = $1 AND created_at >= $3
     GROUP BY 1, 2, 3, 4`,
    [model.id, o.windowSeconds, since],
  );
  const latencies = await db.query<RawLatency & { w: string; version: number }>(
    `SELECT floor(extract(epoch FROM created_at) / $2)::bigint AS w, version, avg(latency_ms)::float8 AS mean,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY latency_ms) AS q
     FROM predictions WHERE model_id = $1 AND created_at >= $3
     GROUP BY 1, 2`,
    [model.id, o.windowSeconds, since],
  );
  const groups = new Map<string, { w: number; version: number; outcomes: OutcomeCount[]; latency?: RawLatency }>();
  const keyOf = (w: string, version: number) => `${w}/${version}`;
  for (const r of outcomes.rows) {
    const key = keyOf(r.w, r.version);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { w: Number(r.w), version: r.version, outcomes: [] }));
    g.outcomes.push({ predicted: r.label, actual: r.label_true, count: Number(r.n) });
  }
  for (const r of latencies.rows) {
    const g = groups.get(keyOf(r.w, r.version));
    if (g) g.latency = r;
  }
  const windows: WindowScores[] = [...groups.values()]
    .sort((a, b) => a.w - b.w || a.version - b.version)
    .map((g) => ({
      start: new Date(g.w * o.windowSeconds * 1000).toISOString(),
      end: new Date((g.w + 1) * o.windowSeconds * 1000).toISOString(),
      version: g.version,
      ...liveScores(g.outcomes),
      latencyMs: toLatency(g.latency),
    }));

  // Current: the production version over all its logged predictions.
  let current: VersionScores = { version: null, ...liveScores([]), latencyMs: EMPTY_LATENCY };
  let lastN: MonitorReport['lastN'] = { n: o.lastN, version: null, ...liveScores([]) };
  if (production) {
    const cur = await db.query<{ label: string; label_true: string | null; n: string }>(
      `SELECT label, label_true, count(*) AS n FROM predictions WHERE model_id = $1 AND version_id = $2 GROUP BY 1, 2`,
      [model.id, production.id],
    );
    const lat = await db.query<RawLatency>(
      `SELECT avg(latency_ms)::float8 AS mean,
         percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY latency_ms) AS q
       FROM predictions WHERE model_id = $1 AND version_id = $2`,
      [model.id, production.id],
    );
    current = {
      version: production.version,
      ...liveScores(cur.rows.map((r) => ({ predicted: r.label, actual: r.label_true, count: Number(r.n) }))),
      latencyMs: toLatency(lat.rows[0]),
    };
    lastN = { n: o.lastN, version: production.version, ...(await lastLabelled(db, model.id, production.id, o.lastN)) };
  }
  return { model: model.name, generatedAt: o.now.toISOString(), windowSeconds: o.windowSeconds, current, lastN, windows };
}

/** Scores over the last `n` labelled predictions of a version (by feedback time). */
export async function lastLabelled(db: Queryable, modelId: number, versionId: number, n: number): Promise<LiveScores> {
  const { rows } = await db.query<{ label: string; label_true: string; n: string }>(
    `SELECT label, label_true, count(*) AS n FROM (
       SELECT label, label_true FROM predictions
       WHERE model_id = $1 AND version_id = $2 AND label_true IS NOT NULL
       ORDER BY feedback_at DESC LIMIT $3) recent
     GROUP BY 1, 2`,
    [modelId, versionId, n],
  );
  return liveScores(rows.map((r) => ({ predicted: r.label, actual: r.label_true, count: Number(r.n) })));
}
