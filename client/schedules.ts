/**
 * Nightly retraining with Temporal Schedules (no cron of our own). One schedule per model, id
 * `nightly-retrain-<model>`; creating one that exists updates it, so a deploy script can run
 * `schedule create` every time. Overlap SKIP by default: one run per model at a time.
 *
 * A fleet's nightly schedules share one time (02:00 by default), so each fires with a jitter
 * (DEFAULT_JITTER unless `--jitter` says otherwise; `--jitter 0` fires on the dot): the server adds
 * to each scheduled time a random delay up to the jitter, different for each schedule, so a
 * hundred models do not all start in the same second. The workers' slots queue the rest.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleSpec,
} from '@temporalio/client';
import { msToNumber, TypedSearchAttributes, type Duration } from '@temporalio/common';
import { ModelNameKey, type RetrainInput } from '../workflows/definitions.ts';
import { UsageError } from './commands/args.ts';
import { checkCron } from './cron.ts';

export const scheduleId = (model: string): string => `nightly-retrain-${model}`;

export interface ScheduleSettings {
  model: string;
  taskQueue: string;
  /** A cron expression; default: every day at `at` in `timezone`. */
  cron?: string;
  /** HH:MM, default 02:00. */
  at?: string;
  timezone?: string;
  /** Random delay added to each scheduled time, up to this; default DEFAULT_JITTER; '0' for none. */
  jitter?: string;
  catchupWindow?: string;
  overlap?: 'skip' | 'buffer-one' | 'allow-all';
  note?: string;
  /** Scheduled runs wait for a person's approval before promoting. */
  requireApproval?: boolean;
}

/** The jitter of a nightly schedule when none is given: a fleet's starts spread over 5 minutes. */
export const DEFAULT_JITTER = '5m';

export function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new UsageError(`invalid timezone ${JSON.stringify(timezone)}: use an IANA name such as UTC or Europe/Paris`);
  }
}

const OVERLAP: Record<NonNullable<ScheduleSettings['overlap']>, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
};

/** The jitter in milliseconds: DEFAULT_JITTER when unset, 0 for none. */
export function scheduleJitterMs(jitter: string | undefined): number {
  let ms: number;
  try {
    ms = msToNumber((jitter ?? DEFAULT_JITTER) as Duration);
  } catch {
    ms = NaN;
  }
  if (!Number.isFinite(ms) || ms < 0)
    throw new UsageError(`invalid --jitter ${JSON.stringify(jitter)}: use a duration such as 0, 30s or 10m`);
  return ms;
}

export function buildSpec(s: ScheduleSettings): ScheduleSpec {
  const timezone = s.timezone ?? 'UTC';
  checkTimezone(timezone);
  const jitterMs = scheduleJitterMs(s.jitter);
  const jitter = jitterMs > 0 ? { jitter: jitterMs } : {};
  if (s.cron) {
    checkCron(s.cron);
    return { cronExpressions: [`${s.cron.trim()} # retrain ${s.model}`], timezone, ...jitter };
  }
  const at = s.at ?? '02:00';
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(at);
  if (!m) throw new UsageError(`invalid --at ${JSON.stringify(at)}: use HH:MM (24-hour)`);
  return {
    calendars: [{ hour: Number(m[1]), minute: Number(m[2]), comment: `nightly retraining of ${s.model} at ${at} ${timezone}` }],
    timezone,
    ...jitter,
  };
}

export function buildScheduleOptions(s: ScheduleSettings): ScheduleOptions {
  const input: RetrainInput = { model: s.model, trigger: 'schedule', ...(s.requireApproval ? { requireApproval: true } : {}) };
  return {
    scheduleId: scheduleId(s.model),
    spec: buildSpec(s),
    action: {
      type: 'startWorkflow',
      workflowType: 'retrainModel',
      taskQueue: s.taskQueue,
      workflowId: `retrain-${s.model}-scheduled`,
      args: [input],
      typedSearchAttributes: new TypedSearchAttributes([{ key: ModelNameKey, value: s.model }]),
      memo: { trigger: 'schedule' },
      staticSummary: `Scheduled retraining of ${s.model}`,
      staticDetails: `Started by schedule ${scheduleId(s.model)}; the data window ends at the scheduled time.`,
    },
    policies: {
      overlap: OVERLAP[s.overlap ?? 'skip'],
      catchupWindow: (s.catchupWindow ?? '1 hour') as Duration,
    },
    state: { note: s.note ?? `created by nightshift for model ${s.model}` },
  };
}

/** `schedule create` found the model's schedule already there and was not told to replace it. */
export class ScheduleExistsError extends Error {}

/**
 * Creates the schedule. One that exists is never replaced silently: `ifExists` 'refuse' (the
 * default) fails naming how to change it, 'keep' leaves it as it is (`up`, deploy scripts),
 * 'replace' updates it in place (`schedule create --replace`).
 */
export async function createSchedule(
  client: Client,
  s: ScheduleSettings,
  ifExists: 'refuse' | 'keep' | 'replace' = 'refuse',
): Promise<'created' | 'kept' | 'replaced'> {
  const options = buildScheduleOptions(s);
  if (ifExists === 'replace') return (await upsertScheduleOptions(client, options)) === 'created' ? 'created' : 'replaced';
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning))
      throw new Error(`cannot create schedule ${options.scheduleId}: ${(err as Error).message}`);
  }
  if (ifExists === 'keep') return 'kept';
  throw new ScheduleExistsError(
    `schedule ${options.scheduleId} already exists; change it with \`nightshift schedule update --model ${s.model}\` (or \`schedule create --replace\`); \`schedule describe --model ${s.model}\` shows it`,
  );
}

/**
 * A schedule is a workflow inside the Temporal server: describing it (and updating it, which
 * describes first) queries that workflow, and the query fails for a moment after the schedule is
 * created or updated, or after the server starts ("Failed to describe schedule"). Such a failure is
 * retried with backoff (about 15 s in all); a schedule that does not exist is not.
 */
export async function retryScheduleCall<T>(what: string, call: () => Promise<T>, attempts = 7): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError || err instanceof ScheduleAlreadyRunning) throw err;
      if (attempt >= attempts) {
        const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
        throw new Error(`${what} failed ${attempts} times: ${(err as Error).message.trim()}${cause}`, { cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** (attempt - 1), 4000)));
    }
  }
}

/** Creates the schedule, or updates it in place when it exists (`schedule update`). Returns which happened. */
export async function upsertSchedule(client: Client, s: ScheduleSettings): Promise<'created' | 'updated'> {
  return upsertScheduleOptions(client, buildScheduleOptions(s));
}

/** Creates a schedule from `options`, or updates its spec, action and policies when it exists. */
export async function upsertScheduleOptions(client: Client, options: ScheduleOptions): Promise<'created' | 'updated'> {
  const handle = client.schedule.getHandle(options.scheduleId);
  try {
    await retryScheduleCall(`describing schedule ${options.scheduleId}`, () => handle.describe());
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    try {
      await client.schedule.create(options);
      return 'created';
    } catch (createErr) {
      throw new Error(`cannot create schedule ${options.scheduleId}: ${(createErr as Error).message}`);
    }
  }
  await retryScheduleCall(`updating schedule ${options.scheduleId}`, () =>
    handle.update((previous) => ({
      ...previous,
      spec: options.spec,
      action: options.action,
      policies: options.policies ?? previous.policies,
    })),
  );
  return 'updated';
}

export async function describeSchedule(client: Client, model: string): Promise<ScheduleDescription> {
  try {
    const handle = client.schedule.getHandle(scheduleId(model));
    return await retryScheduleCall(`describing schedule ${handle.scheduleId}`, () => handle.describe());
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      throw new Error(`model ${model} has no schedule (create one with \`nightshift schedule create --model ${model}\`)`);
    throw err;
  }
}

/** Starts one run now under the schedule's own overlap policy (the SDK's default would allow all). */
export async function triggerSchedule(client: Client, model: string): Promise<void> {
  const d = await describeSchedule(client, model);
  await client.schedule.getHandle(scheduleId(model)).trigger(d.policies.overlap);
}
