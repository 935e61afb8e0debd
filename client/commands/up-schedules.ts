/** The model's schedules `nightshift up` makes sure of: the nightly retraining and the monitor. */
import type { Client } from '@temporalio/client';
import type { Config } from '../../stack/config.ts';
import type { Registry } from '../../registry/open.ts';
import { createSchedule, scheduleId } from '../schedules.ts';
import { upsertMonitorSchedule } from '../monitor-schedules.ts';
import { findModel } from '../../registry/models.ts';
import { currentMonitorPolicy } from '../../registry/monitoring.ts';
import { resolveMonitorPolicy } from '../../ml/monitor-policy.ts';
import { isDuration } from '../../stack/durations.ts';
import { monitorScheduleId } from '../../workflows/definitions.ts';
import { log } from '../output.ts';

export async function ensureSchedule(client: Client, config: Config, model: string): Promise<void> {
  const what = await createSchedule(client, { model, taskQueue: config.taskQueue }, 'keep'); // never replaces one set by hand
  log(
    `nightly schedule ${scheduleId(model)} ${what === 'kept' ? 'exists, kept' : `${what} (02:00 UTC)`} (\`nightshift schedule describe --model ${model}\`)`,
  );
}

/** The monitor's schedule, at the interval of the model's monitor policy (the default's until one is set). */
export async function ensureMonitorSchedule(client: Client, config: Config, registry: Registry, model: string): Promise<void> {
  const found = await findModel(registry.db, model);
  const { policy, source } = resolveMonitorPolicy(found ? await currentMonitorPolicy(registry.db, found.id) : null, isDuration);
  const what = await upsertMonitorSchedule(client, model, policy.every, config.taskQueue);
  log(
    `monitor schedule ${monitorScheduleId(model)} ${what} (every ${policy.every}, ${source}; \`nightshift monitor policy --model ${model}\`)`,
  );
}
