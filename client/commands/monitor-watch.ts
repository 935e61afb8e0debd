/**
 * `nightshift monitor policy|events|run`: the monitor's policy per model (stored in the registry,
 * audited, applied to the model's monitor schedule), the evaluations it recorded, and one
 * evaluation now.
 */
import os from 'node:os';
import type { ConfigSource } from '../catalog.ts';
import { printJson } from '../output.ts';
import { durationFlag, modelFlag, numberFlag, parse, UsageError } from './args.ts';
import { withRegistry, withTemporal } from './connect.ts';
import type { MonitorPolicy } from '../../ml/monitor-policy.ts';
import type { monitorModel } from '../../workflows/index.ts';
import { renderTable } from '../table.ts';
import { formatAge } from '../ages.ts';

const NUMBER_FLAGS = {
  'min-accuracy': 'minAccuracy',
  'max-accuracy-drop': 'maxAccuracyDrop',
  'min-labelled': 'minLabelled',
  'max-drift': 'maxDrift',
  'max-prediction-drift': 'maxPredictionDrift',
  'min-served': 'minServed',
} as const satisfies Record<string, keyof MonitorPolicy>;
const DURATION_FLAGS = { every: 'every', window: 'window', cooldown: 'cooldown' } as const satisfies Record<string, keyof MonitorPolicy>;
const DAY = 86_400_000;

export async function monitorPolicy(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    json: { type: 'boolean' },
    reason: { type: 'string' },
    actor: { type: 'string' },
    retrain: { type: 'boolean' },
    'no-retrain': { type: 'boolean' },
    ...Object.fromEntries([...Object.keys(NUMBER_FLAGS), ...Object.keys(DURATION_FLAGS)].map((f) => [f, { type: 'string' as const }])),
  });
  const flags = values as Record<string, string | boolean | undefined>;
  const name = modelFlag(values.model, 'monitor policy');
  const edits: Partial<MonitorPolicy> = {};
  for (const [flag, key] of Object.entries(NUMBER_FLAGS)) {
    const n = numberFlag(flag, flags[flag] as string | undefined);
    if (n !== undefined) (edits as Record<string, number>)[key] = n;
  }
  for (const [flag, key] of Object.entries(DURATION_FLAGS)) {
    const raw = durationFlag(flag, flags[flag] as string | undefined, { min: flag === 'cooldown' ? 1000 : 60_000, max: 365 * DAY });
    if (raw !== undefined) edits[key] = raw;
  }
  if (values.retrain && values['no-retrain']) throw new UsageError('use --retrain or --no-retrain, not both');
  if (values.retrain) edits.retrain = true;
  if (values['no-retrain']) edits.retrain = false;
  const changing = Object.keys(edits).length > 0;
  if (changing && !values.reason?.trim()) throw new UsageError('changing the monitor policy needs --reason TEXT saying why');

  return withRegistry(config, async (registry) => {
    const [{ getModel }, { currentMonitorPolicy, setMonitorPolicy }, { monitorPolicyView }, { resolveMonitorPolicy }, { isDuration }] =
      await Promise.all([
        import('../../registry/models.ts'),
        import('../../registry/monitoring.ts'),
        import('../../views/monitor.ts'),
        import('../../ml/monitor-policy.ts'),
        import('../../stack/durations.ts'),
      ]);
    if (!changing) {
      const out = await monitorPolicyView(registry.db, name);
      const { policy, source } = out;
      if (values.json) printJson(out);
      else
        process.stdout.write(
          `${out.model}: ${source}${out.version !== null ? ` (by ${out.changedBy}: ${out.reason})` : ''}\n${describe(policy)}\n`,
        );
      return 0;
    }
    const model = await getModel(registry.db, name);
    const stored = await currentMonitorPolicy(registry.db, model.id);
    let next: MonitorPolicy;
    try {
      next = resolveMonitorPolicy({ version: 0, policy: { ...(stored?.policy ?? {}), ...edits } }, isDuration).policy;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    // The schedule needs the stack: reach it before storing anything.
    const [{ resolveTemporal }, { connectClient }, { upsertMonitorSchedule }, { monitorScheduleId }] = await Promise.all([
      import('../../stack/stack.ts'),
      import('../../runs/client.ts'),
      import('../monitor-schedules.ts'),
      import('../../workflows/definitions.ts'),
    ]);
    const target = await resolveTemporal(await config());
    const actor = `person:${values.actor ?? os.userInfo().username}`;
    const saved = await setMonitorPolicy(registry.db, model.id, next, actor, values.reason!);
    const { client, close } = await connectClient(target);
    let schedule: 'created' | 'updated';
    try {
      schedule = await upsertMonitorSchedule(client, model.name, next.every, target.taskQueue);
    } finally {
      await close();
    }
    if (values.json)
      printJson({
        model: model.name,
        source: `monitor policy v${saved.version}`,
        version: saved.version,
        changedBy: actor,
        reason: saved.reason,
        policy: next,
        scheduleId: monitorScheduleId(model.name),
        schedule,
      });
    else
      process.stdout.write(
        `${model.name}: monitor policy v${saved.version} in force (by ${actor}: ${saved.reason}); schedule ${monitorScheduleId(model.name)} ${schedule}\n${describe(next)}\n`,
      );
    return 0;
  });
}

function describe(p: MonitorPolicy): string {
  return [
    `  every ${p.every}, over the last ${p.window}; cooldown ${p.cooldown}; ${p.retrain ? 'starts a retraining run on a breach' : 'records and notifies only'}`,
    `  decay: live accuracy < ${p.minAccuracy}, or more than ${p.maxAccuracyDrop} below the offline accuracy (with >= ${p.minLabelled} labelled)`,
    `  drift: served-token JS divergence > ${p.maxDrift}, or predicted-label PSI > ${p.maxPredictionDrift} (with >= ${p.minServed} served texts)`,
  ].join('\n');
}

export async function monitorEvents(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } });
  const name = modelFlag(values.model, 'monitor events');
  const limit = numberFlag('limit', values.limit, { min: 1, max: 10_000, integer: true }) ?? 20;
  return withRegistry(config, async (registry) => {
    const { monitorEventsList } = await import('../../views/monitor.ts');
    const { model, events } = await monitorEventsList(registry.db, name, limit);
    const now = Date.now();
    if (values.json) printJson({ model, events });
    else if (events.length === 0)
      process.stdout.write(
        `${model}: no monitor events yet (set a policy with \`nightshift monitor policy\`, or \`nightshift monitor run\`)\n`,
      );
    else
      process.stdout.write(
        renderTable(events, [
          { header: 'TIME', value: (e) => formatAge(e.createdAt, now) },
          { header: 'VERSION', value: (e) => (e.version === null ? null : `v${e.version}`) },
          { header: 'TRIGGER', value: (e) => e.trigger ?? 'healthy' },
          { header: 'ACTION', value: (e) => e.action },
          { header: 'RUN', value: (e) => e.retrainWorkflowId },
          { header: 'REASON', value: (e) => e.reason },
        ]) + '\n',
      );
    return 0;
  });
}

export async function monitorRun(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, json: { type: 'boolean' } });
  const model = modelFlag(values.model, 'monitor run');
  return withTemporal(config, async (client, target) => {
    const [{ runWorkflowId }, { runUiLink }, { ModelNameKey }, { TypedSearchAttributes }] = await Promise.all([
      import('../../runs/client.ts'),
      import('../../stack/stack.ts'),
      import('../../workflows/definitions.ts'),
      import('@temporalio/common'),
    ]);
    const workflowId = runWorkflowId(model, new Date(), 'monitor');
    const handle = await client.workflow.start<typeof monitorModel>('monitorModel', {
      taskQueue: target.taskQueue,
      workflowId,
      args: [{ model }],
      typedSearchAttributes: new TypedSearchAttributes([{ key: ModelNameKey, value: model }]),
      staticSummary: `Monitor ${model} (by hand)`,
    });
    const result = await handle.result();
    const link = runUiLink(target.uiUrl, target.namespace, workflowId, handle.firstExecutionRunId);
    if (values.json) printJson({ workflowId, ...result, uiLink: link });
    else
      process.stdout.write(
        `${model}: ${result.trigger ?? 'healthy'} (${result.action}): ${result.reason}${result.retrainWorkflowId ? `\n  started ${result.retrainWorkflowId}` : ''}\n`,
      );
    return 0;
  });
}
