/**
 * The monitor's Temporal Schedule per model (`monitor-<model>`): monitorModel every `every`
 * (15 minutes by default), overlap SKIP. Creating one that exists updates it.
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { upsertScheduleOptions } from './schedules.ts';
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

export function upsertMonitorSchedule(client: Client, model: string, every: string, taskQueue: string): Promise<'created' | 'updated'> {
  return upsertScheduleOptions(client, monitorScheduleOptions(model, every, taskQueue));
}
