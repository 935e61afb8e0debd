import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { Config } from '../../stack/config.ts';
import { assertModelExists, resolveTemporal } from '../../stack/stack.ts';
import { connectClient } from '../runs.ts';
import { describeSchedule, scheduleId, triggerSchedule, upsertSchedule } from '../schedules.ts';
import { printJson } from '../output.ts';
import { parse, UsageError } from './args.ts';
import { checkModelName } from '../../activities/registry/models.ts';

export const SCHEDULE_HELP = `Usage: nightshift schedule <create|update|describe|pause|unpause|trigger|backfill|delete> --model NAME [options]

Nightly retraining with Temporal Schedules (schedule id nightly-retrain-<model>).

  create, update   create the schedule or update it in place (both are idempotent)
      --at HH:MM          time of day (default 02:00)
      --timezone TZ       IANA timezone (default UTC)
      --cron EXPR         a cron expression instead of --at (5 fields)
      --jitter DURATION   random delay up to this, e.g. 10m (default none)
      --catchup-window D  how late a missed run may still start, e.g. 1h (default 1 hour)
      --overlap P         skip (default: one run per model at a time), buffer-one, allow-all
      --note TEXT         note on the schedule
      --require-approval  scheduled runs wait for \`nightshift approve\` before promoting
  describe         spec, next run times, recent runs with outcomes, running run, skipped/missed counts
  pause, unpause   --note TEXT (required): why
  trigger          start one run now (skipped if one is running)
  backfill         --from ISO --to ISO: start the runs of that range; each trains on its own window
  delete           remove the schedule (runs already started keep going)
  --json           one JSON document on stdout`;

export async function schedule(argv: string[], config: Config): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, {
    model: { type: 'string' },
    at: { type: 'string' },
    timezone: { type: 'string' },
    cron: { type: 'string' },
    jitter: { type: 'string' },
    'catchup-window': { type: 'string' },
    overlap: { type: 'string' },
    note: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
    'require-approval': { type: 'boolean' },
  });
  if (values.help || sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(SCHEDULE_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  const subs = ['create', 'update', 'describe', 'pause', 'unpause', 'trigger', 'backfill', 'delete'];
  if (!subs.includes(sub)) throw new UsageError(`unknown subcommand schedule ${sub}; use ${subs.join(', ')}`);
  if (!values.model) throw new UsageError(`schedule ${sub} needs --model NAME`);
  const model = checkModelName(values.model);
  if ((sub === 'pause' || sub === 'unpause') && !values.note) throw new UsageError(`schedule ${sub} needs --note TEXT saying why`);
  let from: Date | null = null;
  let to: Date | null = null;
  if (sub === 'backfill') {
    if (!values.from || !values.to) throw new UsageError('schedule backfill needs --from and --to (ISO times)');
    from = new Date(values.from);
    to = new Date(values.to);
    if (Number.isNaN(from.getTime())) throw new UsageError(`invalid --from ${JSON.stringify(values.from)}: use an ISO time`);
    if (Number.isNaN(to.getTime())) throw new UsageError(`invalid --to ${JSON.stringify(values.to)}: use an ISO time`);
    if (from > to) throw new UsageError(`--from ${values.from} is after --to ${values.to}`);
  }
  if (values.overlap && !['skip', 'buffer-one', 'allow-all'].includes(values.overlap)) {
    throw new UsageError(`--overlap must be skip, buffer-one or allow-all, got ${JSON.stringify(values.overlap)}`);
  }

  const target = await resolveTemporal(config);
  if (sub === 'create' || sub === 'update') await assertModelExists(config, model);
  const { client, close } = await connectClient(target);
  const say = (text: string, json: unknown): void => (values.json ? printJson(json) : void process.stdout.write(text + '\n'));
  try {
    const handle = client.schedule.getHandle(scheduleId(model));
    switch (sub) {
      case 'create':
      case 'update': {
        const what = await upsertSchedule(client, {
          model,
          taskQueue: target.taskQueue,
          cron: values.cron,
          at: values.at,
          timezone: values.timezone,
          jitter: values.jitter,
          catchupWindow: values['catchup-window'],
          overlap: values.overlap as 'skip' | undefined,
          note: values.note,
          requireApproval: values['require-approval'] ?? false,
        });
        const d = await handle.describe();
        say(
          `schedule ${scheduleId(model)} ${what}; next runs: ${d.info.nextActionTimes
            .slice(0, 3)
            .map((t) => t.toISOString())
            .join(', ')}`,
          { scheduleId: scheduleId(model), result: what, nextActionTimes: d.info.nextActionTimes },
        );
        return 0;
      }
      case 'describe': {
        const d = await describeSchedule(client, model);
        const recent = [];
        for (const a of d.info.recentActions) {
          const wfId = a.action.workflow.workflowId;
          let outcome: string | null = null;
          try {
            const desc = await client.workflow.getHandle(wfId, a.action.workflow.firstExecutionRunId).describe();
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
        if (values.json) printJson(out);
        else {
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
          process.stdout.write(lines.join('\n') + '\n');
        }
        return 0;
      }
      case 'pause':
        await describeSchedule(client, model);
        await handle.pause(values.note);
        say(`schedule ${scheduleId(model)} paused: ${values.note}`, { scheduleId: scheduleId(model), paused: true, note: values.note });
        return 0;
      case 'unpause':
        await describeSchedule(client, model);
        await handle.unpause(values.note);
        say(`schedule ${scheduleId(model)} unpaused: ${values.note}`, { scheduleId: scheduleId(model), paused: false, note: values.note });
        return 0;
      case 'trigger':
        await triggerSchedule(client, model);
        say(`schedule ${scheduleId(model)} triggered (skipped if a run for ${model} is already running)`, {
          scheduleId: scheduleId(model),
          triggered: true,
        });
        return 0;
      case 'backfill':
        await describeSchedule(client, model);
        // Buffer all: each backfilled run waits for the previous one, so none is skipped.
        await handle.backfill({ start: from!, end: to!, overlap: ScheduleOverlapPolicy.BUFFER_ALL });
        say(`schedule ${scheduleId(model)}: backfill ${from!.toISOString()} .. ${to!.toISOString()} requested`, {
          scheduleId: scheduleId(model),
          from: from!.toISOString(),
          to: to!.toISOString(),
        });
        return 0;
      case 'delete':
        await describeSchedule(client, model);
        await handle.delete();
        say(`schedule ${scheduleId(model)} deleted`, { scheduleId: scheduleId(model), deleted: true });
        return 0;
    }
    return 0;
  } finally {
    await close();
  }
}

function describeSpec(spec: { calendars?: Array<{ comment?: string }>; cronExpressions?: string[]; timezone?: string }): string {
  const parts = [...(spec.calendars ?? []).map((c) => c.comment ?? 'calendar'), ...(spec.cronExpressions ?? []).map((c) => `cron ${c}`)];
  return `${parts.join('; ') || '(none)'}${spec.timezone ? ` [${spec.timezone}]` : ''}`;
}
