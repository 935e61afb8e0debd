/** `nightshift models list|show|promote|rollback|policy|mode`. */
import os from 'node:os';
import type { ConfigSource } from '../catalog.ts';
import { printJson } from '../output.ts';
import { formatMetric } from '../../workflows/run-details.ts';
import { dispatch, modelFlag, numberFlag, parse, UsageError } from './args.ts';
import { type ConfigInput, configSource, withRegistry, withTemporal } from './connect.ts';
import { MODELS_HELP } from '../help/models.ts';
import type { setProduction } from '../../workflows/index.ts';
import type { SetProductionInput } from '../../activities/pipeline/types.ts';
import { getModel } from '../../registry/models.ts';
import { currentPolicy, policyHistory, setPolicy } from '../../registry/policies.ts';
import { checkStoredPolicy, defaultComparisonPolicy, minEvaluationRowsOf, type ComparisonPolicy } from '../../ml/compare.ts';
import { policyFile } from './retrain.ts';
import { renderTable } from '../table.ts';
import { formatAge } from '../ages.ts';
import { modelsMode } from './models-mode.ts';

const f = formatMetric;

async function list(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' } });
  return withRegistry(config, async ({ db }) => {
    const { modelsList } = await import('../../views/models.ts');
    const { models: rows } = await modelsList(db);
    if (values.json) printJson({ models: rows });
    else if (rows.length === 0) process.stdout.write('no models yet: import data with `nightshift data import` or run `nightshift up`\n');
    else
      process.stdout.write(
        renderTable(rows, [
          { header: 'MODEL', value: (r) => r.name },
          { header: 'PRODUCTION', value: (r) => (r.production === null ? null : `v${r.production}`), align: 'right' },
          { header: 'VERSIONS', value: (r) => r.versions, align: 'right' },
        ]) + '\n',
      );
    return 0;
  });
}

async function show(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, json: { type: 'boolean' } });
  const name = modelFlag(values.model, 'models show');
  return withRegistry(config, async ({ db }) => {
    const { modelDetail } = await import('../../views/models.ts');
    const out = await modelDetail(db, name);
    const now = Date.now();
    const history = out.promotions;
    if (values.json) {
      printJson(out);
      return 0;
    }
    const lines = [`model ${out.model}: production ${out.production === null ? '(none)' : `v${out.production}`}`, ''];
    lines.push(
      renderTable(
        out.versions,
        [
          { header: 'VERSION', value: (v) => `v${v.version}` },
          { header: 'STATUS', value: (v) => v.status },
          { header: 'ROWS', value: (v) => v.evaluation?.rows, align: 'right' },
          { header: 'ACCURACY', value: (v) => f(v.evaluation?.metrics?.accuracy), align: 'right' },
          { header: 'F1', value: (v) => f(v.evaluation?.metrics?.f1), align: 'right' },
          { header: 'VS CHAMPION', value: (v) => (v.evaluation?.champion ? `v${v.evaluation.champion.version}` : null) },
          { header: 'ITS ACCURACY', value: (v) => f(v.evaluation?.champion?.metrics?.accuracy), align: 'right' },
          { header: 'ITS F1', value: (v) => f(v.evaluation?.champion?.metrics?.f1), align: 'right' },
          { header: 'OUTCOME', value: (v) => v.evaluation?.outcome ?? v.evaluation?.decision },
          { header: 'CREATED', value: (v) => formatAge(v.createdAt, now) },
        ],
        '  ',
      ),
      '',
      '  Each row: the version against the champion of its own run, both on the same ROWS held-out rows.',
      '  Rows of different versions come from different data windows and are not comparable.',
    );
    if (history.length) {
      lines.push('', '  promotions:');
      for (const e of history)
        lines.push(
          `    ${e.createdAt} ${e.kind} ${e.fromVersion === null ? '(none)' : `v${e.fromVersion}`} -> v${e.toVersion} by ${e.actor}: ${e.reason}`,
        );
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  });
}

function versionFlag(name: string, raw: string | undefined): number | undefined {
  return numberFlag(name, raw?.replace(/^v/, ''), { min: 1, integer: true });
}

async function setProductionCommand(sub: 'promote' | 'rollback', argv: string[], config: ConfigSource): Promise<number> {
  const flag = sub === 'promote' ? 'version' : 'to';
  const { values } = parse(argv, {
    model: { type: 'string' },
    [flag]: { type: 'string' },
    reason: { type: 'string' },
    actor: { type: 'string' },
    json: { type: 'boolean' },
  });
  const model = modelFlag(values.model as string | undefined, `models ${sub}`);
  const version = versionFlag(flag, values[flag] as string | undefined);
  if (sub === 'promote' && version === undefined) throw new UsageError('models promote needs --version V');
  const reason = values.reason as string | undefined;
  if (!reason?.trim()) throw new UsageError(`models ${sub} needs --reason TEXT`);
  const input: SetProductionInput = {
    model,
    kind: sub === 'promote' ? 'override' : 'rollback',
    ...(version !== undefined ? { version } : {}),
    reason,
    actor: `person:${(values.actor as string | undefined) ?? os.userInfo().username}`,
  };
  return withTemporal(config, async (client, target) => {
    const [{ TypedSearchAttributes }, { runUiLink }, { runWorkflowId }, { ModelNameKey }, { rootCause }] = await Promise.all([
      import('@temporalio/common'),
      import('../../stack/stack.ts'),
      import('../../runs/client.ts'),
      import('../../workflows/definitions.ts'),
      import('../failures.ts'),
    ]);
    const workflowId = runWorkflowId(input.model, new Date(), sub);
    const handle = await client.workflow.start<typeof setProduction>('setProduction', {
      taskQueue: target.taskQueue,
      workflowId,
      args: [input],
      typedSearchAttributes: new TypedSearchAttributes([{ key: ModelNameKey, value: input.model }]),
      memo: { trigger: 'manual' },
      staticSummary: `${sub === 'promote' ? 'Promote' : 'Roll back'} ${input.model}${version !== undefined ? ` to v${version}` : ''}`,
      staticDetails: `By ${input.actor}: ${input.reason}`,
    });
    const result = await handle.result().catch((err: unknown) => {
      throw new Error(rootCause(err).message);
    });
    const link = runUiLink(target.uiUrl, target.namespace, workflowId, handle.firstExecutionRunId);
    if (values.json) printJson({ workflowId, ...result, uiLink: link });
    else
      process.stdout.write(
        `${result.model}: production v${result.fromVersion ?? '-'} -> v${result.toVersion} (${sub}) in ${workflowId}\n${link ? `  ${link}\n` : ''}`,
      );
    return 0;
  });
}

const POLICY_FLAGS = ['min-accuracy', 'min-f1', 'min-f1-improvement', 'max-accuracy-drop', 'significance', 'max-token-drift'] as const;

/** What each policy flag may be: fractions of accuracy and F1, a p-value, a divergence in [0, 1]. */
const POLICY_FLAG_RANGES: Record<(typeof POLICY_FLAGS)[number], [number, number]> = {
  'min-accuracy': [0, 1],
  'min-f1': [0, 1],
  'min-f1-improvement': [-1, 1],
  'max-accuracy-drop': [0, 1],
  significance: [Number.MIN_VALUE, 1 - Number.EPSILON],
  'max-token-drift': [0, 1],
};

/** A policy flag's number (given: the flag is set), within its range. */
function policyNumber(flag: (typeof POLICY_FLAGS)[number], raw: string): number {
  const n = numberFlag(flag, raw)!;
  const [min, max] = POLICY_FLAG_RANGES[flag];
  if (n < min || n > max)
    throw new UsageError(
      flag === 'significance'
        ? `--significance: alpha must be in (0, 1) (or none), got ${JSON.stringify(raw)}`
        : `--${flag} must be in [${min}, ${max}], got ${JSON.stringify(raw)}`,
    );
  return n;
}

/** The policy in force, edited by the flags given. */
export function editPolicy(base: ComparisonPolicy, flags: Partial<Record<(typeof POLICY_FLAGS)[number], string>>): ComparisonPolicy {
  const p: ComparisonPolicy = structuredClone(base);
  const setAbsolute = (metric: string, min: number): void => {
    p.absolute = [...p.absolute.filter((r) => r.metric !== metric), { metric, min }];
  };
  const setChange = (metric: string, minImprovement: number): void => {
    p.change = [...p.change.filter((r) => r.metric !== metric), { metric, minImprovement }];
  };
  if (flags['min-accuracy'] !== undefined) setAbsolute('accuracy', policyNumber('min-accuracy', flags['min-accuracy']));
  if (flags['min-f1'] !== undefined) setAbsolute('f1', policyNumber('min-f1', flags['min-f1']));
  if (flags['min-f1-improvement'] !== undefined) setChange('f1', policyNumber('min-f1-improvement', flags['min-f1-improvement']));
  if (flags['max-accuracy-drop'] !== undefined) setChange('accuracy', -policyNumber('max-accuracy-drop', flags['max-accuracy-drop']));
  if (flags.significance !== undefined) {
    if (flags.significance === 'none') delete p.significance;
    else p.significance = { alpha: policyNumber('significance', flags.significance) };
  }
  if (flags['max-token-drift'] !== undefined)
    p.drift = { ...p.drift, maxTokenJensenShannon: policyNumber('max-token-drift', flags['max-token-drift']) };
  try {
    checkStoredPolicy(p);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return p;
}

async function policy(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    json: { type: 'boolean' },
    history: { type: 'boolean' },
    set: { type: 'string' },
    reason: { type: 'string' },
    actor: { type: 'string' },
    ...Object.fromEntries(POLICY_FLAGS.map((flag) => [flag, { type: 'string' as const }])),
  });
  const name = modelFlag(values.model, 'models policy');
  const flagValues = values as Record<string, string | boolean | undefined>;
  const edits = Object.fromEntries(
    POLICY_FLAGS.filter((flag) => flagValues[flag] !== undefined).map((flag) => [flag, String(flagValues[flag])]),
  );
  const changing = values.set !== undefined || Object.keys(edits).length > 0;
  if (values.set !== undefined && Object.keys(edits).length)
    throw new UsageError('models policy takes --set FILE.json or policy flags, not both');
  if (changing && !values.reason?.trim()) throw new UsageError('changing a policy needs --reason TEXT saying why');
  const fromFile = values.set !== undefined ? policyFile(values.set) : null;
  // The flags checked before anything is opened (against the default; again on the policy in force).
  if (Object.keys(edits).length) editPolicy(defaultComparisonPolicy, edits);
  if (fromFile)
    try {
      checkStoredPolicy(fromFile);
    } catch (err) {
      throw new UsageError(`--set ${values.set}: ${(err as Error).message}`);
    }
  return withRegistry(config, async ({ db }) => {
    const model = await getModel(db, name);
    const stored = await currentPolicy(db, model.id);
    if (changing) {
      const next = fromFile ?? editPolicy(stored?.policy ?? defaultComparisonPolicy, edits);
      const actor = `person:${values.actor ?? os.userInfo().username}`;
      const saved = await setPolicy(db, model.id, next, actor, values.reason!);
      if (values.json) printJson({ model: model.name, ...saved, source: `model policy v${saved.version}` });
      else
        process.stdout.write(
          `${model.name}: policy v${saved.version} in force (by ${actor}: ${values.reason})\n${describePolicy(saved.policy)}\n`,
        );
      return 0;
    }
    if (values.history) {
      const all = await policyHistory(db, model.id);
      if (values.json) printJson({ model: model.name, history: all });
      else if (all.length === 0) process.stdout.write(`${model.name}: no policy set; runs use the built-in default\n`);
      else
        for (const p of all)
          process.stdout.write(`v${p.version} ${p.createdAt} by ${p.changedBy}: ${p.reason}\n${describePolicy(p.policy)}\n`);
      return 0;
    }
    const inForce = stored?.policy ?? defaultComparisonPolicy;
    const source = stored ? `model policy v${stored.version}` : 'built-in default';
    if (values.json)
      printJson({
        model: model.name,
        source,
        version: stored?.version ?? null,
        changedBy: stored?.changedBy ?? null,
        reason: stored?.reason ?? null,
        createdAt: stored?.createdAt ?? null,
        policy: inForce,
      });
    else
      process.stdout.write(
        `${model.name}: ${source}${stored ? ` (by ${stored.changedBy}: ${stored.reason})` : ''}\n${describePolicy(inForce)}\n`,
      );
    return 0;
  });
}

/** A policy in words, one rule a line. */
export function describePolicy(p: ComparisonPolicy): string {
  const lines = [
    ...p.absolute.map(
      (r) =>
        `  ${r.metric} ${r.min !== undefined ? `>= ${r.min}` : ''}${r.min !== undefined && r.max !== undefined ? ' and ' : ''}${r.max !== undefined ? `<= ${r.max}` : ''}`,
    ),
    ...p.change.flatMap((r) => [
      ...(r.minImprovement !== undefined
        ? [
            r.minImprovement >= 0
              ? `  ${r.metric} at least ${r.minImprovement} above the champion's`
              : `  ${r.metric} at most ${-r.minImprovement} below the champion's`,
          ]
        : []),
      ...(r.minRelativeImprovement !== undefined
        ? [`  ${r.metric} at least ${100 * r.minRelativeImprovement}% (relative) above the champion's`]
        : []),
    ]),
    ...(p.significance ? [`  McNemar's test: candidate better at alpha ${p.significance.alpha}`] : []),
    ...Object.entries(p.drift ?? {}).map(([k, v]) => `  drift ${k} ${v}`),
    `  decided on at least ${minEvaluationRowsOf(p)} held-out rows (fewer: rejected)`,
    '  never a candidate identical to the champion',
  ];
  return lines.join('\n');
}

export function models(argv: string[], configInput: ConfigInput): Promise<number> {
  const config = configSource(configInput);
  return dispatch('models', argv, MODELS_HELP, {
    list: { summary: 'list models', run: (a) => list(a, config) },
    show: { summary: "show one model's versions", run: (a) => show(a, config) },
    promote: { summary: 'promote a version by hand', run: (a) => setProductionCommand('promote', a, config) },
    rollback: { summary: 'roll production back', run: (a) => setProductionCommand('rollback', a, config) },
    policy: { summary: "read or change a model's promotion policy", run: (a) => policy(a, config) },
    mode: { summary: "read or set a model's default training mode", run: (a) => modelsMode(a, config) },
  });
}
