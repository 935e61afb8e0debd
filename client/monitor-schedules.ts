/**
 * The monitor's Temporal Schedule per model (`monitor-<model>`): monitorModel every `every`
 * (15 minutes by default), overlap SKIP. Creating one that exists updates it.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { TypedSearchAttributes, type Duration } from '@temporalio/common';
import { ModelNameKey, monitorScheduleId, type MonitorInput } from '../workflows/definitions.ts';

export function monitorScheduleOptions(model: string, every: string, taskQueue: string): ScheduleOptions {
  const input: MonitorInput = { model };
  return {
    scheduleId: monitorScheduleId(model),
    spec: { intervals: [{ every: every as Duration }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'monitorModel',
      taskQueue,
      workflowId: `monitor-${model}-run`,
      args: [input],
      typedSearchAttributes: new TypedSearchAttributes([{ key: ModelNameKey, value: model }]),
      staticSummary: `Monitor ${model}`,
      staticDetails: `Evaluates ${model}'s live metrics and drift every ${every}; retrains on decay or drift.`,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    state: { note: `monitor of ${model}, every ${every}` },
  };
}

export async function upsertMonitorSchedule(
  client: Client,
  model: string,
  every: string,
  taskQueue: string,
): Promise<'created' | 'updated'> {
  const options = monitorScheduleOptions(model, every, taskQueue);
  const handle = client.schedule.getHandle(options.scheduleId);
  try {
    await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule.create(options);
    return 'created';
  }
  await handle.update((previous) => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: options.policies ?? previous.policies,
  }));
  return 'updated';
}
