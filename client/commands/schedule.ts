/** `nightshift schedule ...`: the model's nightly schedule; flags are checked before the Temporal client loads. */
import type { Client, ScheduleHandle } from '@temporalio/client';
import type { ConfigSource } from '../catalog.ts';
import { configSource, type ConfigInput } from './connect.ts';
import type { TemporalTarget } from '../../stack/stack.ts';
import { printJson } from '../output.ts';
import { choiceFlag, dispatch, durationFlag, modelFlag, parse, UsageError } from './args.ts';
import { SCHEDULE_HELP } from '../help/schedule.ts';
import { checkCron } from '../cron.ts';

/** The schedule functions (client/schedules.ts, which loads the Temporal SDK). */
const schedules = () => import('../schedules.ts');

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;
const OVERLAPS = ['skip', 'buffer-one', 'allow-all'] as const;

interface Context {
  model: string;
  /** The schedule id, nightly-retrain-<model>. */
  id: string;
  client: Client;
  target: TemporalTarget;
  handle: ScheduleHandle;
  json: boolean;
}

function say(ctx: Context, text: string, json: unknown): void {
  if (ctx.json) printJson(json);
  else process.stdout.write(text + '\n');
}

/** Parses the subcommand's own flags (plus --model and --json), then runs `fn` with a client. */
async function withSchedule<O extends Record<string, { type: 'string' | 'boolean' }>>(
  sub: string,
  argv: string[],
  options: O,
  loadConfig: ConfigSource,
  fn: (ctx: Context, values: Record<string, string | boolean | undefined>) => Promise<void>,
  check: (values: Record<string, string | boolean | undefined>) => void = () => undefined,
): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, json: { type: 'boolean' }, ...options });
  const flags = values as Record<string, string | boolean | undefined>;
  const model = modelFlag(flags.model as string | undefined, `schedule ${sub}`);
  check(flags);
  const [{ resolveTemporal }, { assertModelExists }, { connectClient }, { scheduleId }, loaded] = await Promise.all([
    import('../../stack/stack.ts'),
    import('../../registry/open.ts'),
    import('../../runs/client.ts'),
    schedules(),
    loadConfig(),
  ]);
  const target = await resolveTemporal(loaded);
  if (sub === 'create' || sub === 'update') await assertModelExists(loaded, model);
  const { client, close } = await connectClient(target);
  try {
    const id = scheduleId(model);
    await fn({ model, id, client, target, handle: client.schedule.getHandle(id), json: Boolean(flags.json) }, flags);
    return 0;
  } finally {
    await close();
  }
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

function createOrUpdate(sub: 'create' | 'update', argv: string[], config: ConfigSource): Promise<number> {
  const onlyCreate: Record<string, { type: 'boolean' }> =
    sub === 'create' ? { replace: { type: 'boolean' }, 'if-missing': { type: 'boolean' } } : {};
  const options = {
    ...onlyCreate,
    at: { type: 'string' },
    timezone: { type: 'string' },
    cron: { type: 'string' },
    jitter: { type: 'string' },
    'catchup-window': { type: 'string' },
    overlap: { type: 'string' },
    note: { type: 'string' },
    'require-approval': { type: 'boolean' },
  } as const;
  return withSchedule(
    sub,
    argv,
    options,
    config,
    async (ctx, v) => {
      const { createSchedule, retryScheduleCall, upsertSchedule } = await schedules();
      const settings = {
        model: ctx.model,
        taskQueue: ctx.target.taskQueue,
        cron: str(v.cron),
        at: str(v.at),
        timezone: str(v.timezone),
        jitter: str(v.jitter),
        catchupWindow: str(v['catchup-window']),
        overlap: choiceFlag('overlap', str(v.overlap), OVERLAPS),
        note: str(v.note),
        requireApproval: Boolean(v['require-approval']),
      };
      const what =
        sub === 'update'
          ? await upsertSchedule(ctx.client, settings)
          : await createSchedule(ctx.client, settings, v.replace ? 'replace' : v['if-missing'] ? 'keep' : 'refuse');
      const d = await retryScheduleCall(`describing schedule ${ctx.id}`, () => ctx.handle.describe());
      const next = d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString());
      say(ctx, `schedule ${ctx.id} ${what}; next runs: ${next.join(', ')}`, {
        scheduleId: ctx.id,
        result: what,
        nextActionTimes: d.info.nextActionTimes,
      });
    },
    (v) => {
      durationFlag('jitter', str(v.jitter), { min: 0, max: DAY });
      durationFlag('catchup-window', str(v['catchup-window']), { min: 10 * SECOND, max: 365 * DAY });
      choiceFlag('overlap', str(v.overlap), OVERLAPS);
      if (v.cron !== undefined && v.at !== undefined) throw new UsageError('use --at or --cron, not both');
      if (typeof v.cron === 'string') checkCron(v.cron);
      if (v.replace && v['if-missing']) throw new UsageError('use --replace or --if-missing, not both');
    },
  );
}

function describe(argv: string[], config: ConfigSource): Promise<number> {
  return withSchedule('describe', argv, {}, config, async (ctx) => {
    const { describeSchedule } = await schedules();
    const d = await describeSchedule(ctx.client, ctx.model);
    const recent = [];
    for (const a of d.info.recentActions) {
      const wfId = a.action.workflow.workflowId;
      let outcome: string | null = null;
      try {
        const desc = await ctx.client.workflow.getHandle(wfId, a.action.workflow.firstExecutionRunId).describe();
        outcome = (desc.searchAttributes?.Outcome as string[] | undefined)?.[0] ?? desc.status.name;
      } catch {
        outcome = null;
      }
      recent.push({ scheduledAt: a.scheduledAt.toISOString(), takenAt: a.takenAt.toISOString(), workflowId: wfId, outcome });
    }
    const out = {
      scheduleId: d.scheduleId,
      spec: d.spec,
      paused: d.state.paused,
      note: d.state.note ?? null,
      overlap: d.policies.overlap,
      catchupWindowMs: d.policies.catchupWindow,
      nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
      recentActions: recent,
      runningActions: d.info.runningActions.map((r) => r.workflow.workflowId),
      numActionsTaken: d.info.numActionsTaken,
      numActionsSkippedOverlap: d.info.numActionsSkippedOverlap,
      numActionsMissedCatchupWindow: d.info.numActionsMissedCatchupWindow,
    };
    const lines = [
      `schedule ${out.scheduleId}${out.paused ? ' (PAUSED)' : ''}${out.note ? ` - note: ${out.note}` : ''}`,
      `  spec: ${describeSpec(d.spec)}`,
      `  overlap ${String(out.overlap)}, catch-up window ${Math.round(out.catchupWindowMs / 1000)} s`,
      `  next runs: ${out.nextActionTimes.slice(0, 5).join(', ') || '(none)'}`,
      `  running: ${out.runningActions.join(', ') || '(none)'}`,
      `  taken ${out.numActionsTaken}, skipped (overlap) ${out.numActionsSkippedOverlap}, missed (catch-up window) ${out.numActionsMissedCatchupWindow}`,
      '  recent runs:',
      ...out.recentActions.map((a) => `    ${a.scheduledAt} ${a.workflowId} ${a.outcome ?? '?'}`),
    ];
    say(ctx, lines.join('\n'), out);
  });
}

function pauseOrUnpause(sub: 'pause' | 'unpause', argv: string[], config: ConfigSource): Promise<number> {
  return withSchedule(
    sub,
    argv,
    { note: { type: 'string' } },
    config,
    async (ctx, v) => {
      const { describeSchedule } = await schedules();
      await describeSchedule(ctx.client, ctx.model);
      const note = str(v.note)!;
      if (sub === 'pause') await ctx.handle.pause(note);
      else await ctx.handle.unpause(note);
      say(ctx, `schedule ${ctx.id} ${sub}d: ${note}`, { scheduleId: ctx.id, paused: sub === 'pause', note });
    },
    (v) => {
      if (!str(v.note)?.trim()) throw new UsageError(`schedule ${sub} needs --note TEXT saying why`);
    },
  );
}

function trigger(argv: string[], config: ConfigSource): Promise<number> {
  return withSchedule('trigger', argv, {}, config, async (ctx) => {
    const { triggerSchedule } = await schedules();
    await triggerSchedule(ctx.client, ctx.model);
    say(ctx, `schedule ${ctx.id} triggered (skipped if a run for ${ctx.model} is already running)`, {
      scheduleId: ctx.id,
      triggered: true,
    });
  });
}

function isoFlag(flag: string, raw: string | undefined): Date {
  if (!raw) throw new UsageError('schedule backfill needs --from and --to (ISO times)');
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new UsageError(`invalid --${flag} ${JSON.stringify(raw)}: use an ISO time`);
  return d;
}

function backfill(argv: string[], config: ConfigSource): Promise<number> {
  let from = new Date(0);
  let to = new Date(0);
  return withSchedule(
    'backfill',
    argv,
    { from: { type: 'string' }, to: { type: 'string' } },
    config,
    async (ctx) => {
      const [{ describeSchedule }, { ScheduleOverlapPolicy }] = await Promise.all([schedules(), import('@temporalio/client')]);
      await describeSchedule(ctx.client, ctx.model);
      // Buffer all: each backfilled run waits for the previous one, so none is skipped.
      await ctx.handle.backfill({ start: from, end: to, overlap: ScheduleOverlapPolicy.BUFFER_ALL });
      say(ctx, `schedule ${ctx.id}: backfill ${from.toISOString()} .. ${to.toISOString()} requested`, {
        scheduleId: ctx.id,
        from: from.toISOString(),
        to: to.toISOString(),
      });
    },
    (v) => {
      from = isoFlag('from', str(v.from));
      to = isoFlag('to', str(v.to));
      if (from > to) throw new UsageError(`--from ${String(v.from)} is after --to ${String(v.to)}`);
    },
  );
}

function remove(argv: string[], config: ConfigSource): Promise<number> {
  return withSchedule('delete', argv, {}, config, async (ctx) => {
    const { describeSchedule } = await schedules();
    await describeSchedule(ctx.client, ctx.model);
    await ctx.handle.delete();
    say(ctx, `schedule ${ctx.id} deleted`, { scheduleId: ctx.id, deleted: true });
  });
}

function describeSpec(spec: {
  calendars?: Array<{ comment?: string }>;
  cronExpressions?: string[];
  timezone?: string;
  jitter?: number;
}): string {
  const parts = [...(spec.calendars ?? []).map((c) => c.comment ?? 'calendar'), ...(spec.cronExpressions ?? []).map((c) => `cron ${c}`)];
  const jitter = spec.jitter ? `, jitter up to ${humanMs(spec.jitter)}` : ', no jitter';
  return `${parts.join('; ') || '(none)'}${spec.timezone ? ` [${spec.timezone}]` : ''}${jitter}`;
}

function humanMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

export function schedule(argv: string[], configInput: ConfigInput): Promise<number> {
  const config = configSource(configInput);
  return dispatch('schedule', argv, SCHEDULE_HELP, {
    create: { summary: 'create the schedule', run: (a) => createOrUpdate('create', a, config) },
    update: { summary: 'update the schedule', run: (a) => createOrUpdate('update', a, config) },
    describe: { summary: 'describe the schedule', run: (a) => describe(a, config) },
    pause: { summary: 'pause it', run: (a) => pauseOrUnpause('pause', a, config) },
    unpause: { summary: 'unpause it', run: (a) => pauseOrUnpause('unpause', a, config) },
    trigger: { summary: 'start one run now', run: (a) => trigger(a, config) },
    backfill: { summary: 'run a past range', run: (a) => backfill(a, config) },
    delete: { summary: 'delete it', run: (a) => remove(a, config) },
  });
}
