/**
 * The monitor as JSON: the documents `nightshift monitor events --json` and
 * `nightshift monitor policy --model M --json` (reading) print, and the model server returns.
 */
import { getModel } from '../registry/models.ts';
import type { Queryable } from '../registry/pool.ts';
import { currentMonitorPolicy, listMonitorEvents, type MonitorEvent } from '../registry/monitoring.ts';
import { resolveMonitorPolicy } from '../ml/monitor-policy.ts';
import { isDuration } from '../stack/durations.ts';
import { monitorScheduleId } from '../workflows/definitions.ts';

export async function monitorEventsList(db: Queryable, name: string, limit: number): Promise<{ model: string; events: MonitorEvent[] }> {
  const model = await getModel(db, name);
  return { model: model.name, events: await listMonitorEvents(db, model.id, limit) };
}

/** The monitor policy in force (the defaults until one is set) and where it came from. */
export async function monitorPolicyView(db: Queryable, name: string) {
  const model = await getModel(db, name);
  const stored = await currentMonitorPolicy(db, model.id);
  const { policy, source } = resolveMonitorPolicy(stored, isDuration);
  return {
    model: model.name,
    source,
    version: stored?.version ?? null,
    changedBy: stored?.changedBy ?? null,
    reason: stored?.reason ?? null,
    policy,
    scheduleId: monitorScheduleId(model.name),
  };
}

export type MonitorPolicyView = Awaited<ReturnType<typeof monitorPolicyView>>;
