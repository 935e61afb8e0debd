/**
 * Every model at a glance, for the dashboard's first table: its production version, what this
 * server serves, its live accuracy over the last labelled predictions, and the monitor's last word.
 */
import { lastLabelled } from '../registry/live-metrics.ts';
import { listMonitorEvents, productionFacts } from '../registry/monitoring.ts';
import { listModels } from '../registry/models.ts';
import type { Queryable } from '../registry/pool.ts';

/** What one server process holds for a model (from its model store). */
export interface ServedModel {
  name: string;
  version: string | null;
  loadError: string | null;
}

export type LiveStatus = 'no-production' | 'not-served' | 'load-error' | 'unwatched' | 'not-judged' | 'healthy' | 'decay' | 'drift';

export interface ModelOverview {
  name: string;
  production: number | null;
  served: string | null;
  loadError: string | null;
  live: { n: number; labelled: number; accuracy: number | null; f1: number | null };
  monitor: { at: string; trigger: 'decay' | 'drift' | null; action: string; reason: string } | null;
  /** The one word the dashboard shows: the monitor's last verdict, or why there is none. */
  status: LiveStatus;
}

const LAST_N = 500;

/**
 * Whether the monitor judged anything on an evaluation (its `live` document): live accuracy or
 * drift. Each check it could not judge for lack of data is named in `notJudged` ("accuracy: ...",
 * "drift: ..."); a drift reading alone is no judgement when there were too few served texts for it.
 * Evaluations recorded before `notJudged` existed count a live accuracy or a drift reading.
 */
export function monitorJudged(live: unknown): boolean {
  const l = live as { accuracy?: number | null; drift?: unknown; notJudged?: unknown } | null;
  if (Array.isArray(l?.notJudged)) {
    const skipped = l.notJudged.filter((s): s is string => typeof s === 'string');
    if (skipped.includes('no production version')) return false;
    return !skipped.some((s) => s.startsWith('accuracy:')) || !skipped.some((s) => s.startsWith('drift:'));
  }
  return (l?.accuracy ?? null) !== null || Boolean(l?.drift);
}

export async function modelsOverview(db: Queryable, served: ServedModel[]): Promise<{ models: ModelOverview[] }> {
  const byName = new Map(served.map((s) => [s.name, s]));
  const models: ModelOverview[] = [];
  for (const m of await listModels(db)) {
    const facts = await productionFacts(db, m.id);
    const live = facts ? await lastLabelled(db, m.id, facts.versionId, LAST_N) : null;
    const [event] = await listMonitorEvents(db, m.id, 1);
    const s = byName.get(m.name);
    const monitor = event ? { at: event.createdAt, trigger: event.trigger, action: event.action, reason: event.reason } : null;
    let status: LiveStatus;
    if (!facts) status = 'no-production';
    else if (s?.loadError) status = 'load-error';
    else if (!s?.version) status = 'not-served';
    else if (!monitor) status = 'unwatched';
    else status = monitor.trigger ?? (monitorJudged(event.live) ? 'healthy' : 'not-judged');
    models.push({
      name: m.name,
      production: facts?.version ?? null,
      served: s?.version ?? null,
      loadError: s?.loadError ?? null,
      live: { n: LAST_N, labelled: live?.labelled ?? 0, accuracy: live?.accuracy ?? null, f1: live?.f1 ?? null },
      monitor,
      status,
    });
  }
  return { models };
}
