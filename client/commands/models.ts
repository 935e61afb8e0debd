import os from 'node:os';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Config } from '../../stack/config.ts';
import { resolveTemporal, runUiLink } from '../../stack/stack.ts';
import { openRegistry, type Registry } from '../../registry/open.ts';
import { printJson } from '../output.ts';
import { formatMetric } from '../../workflows/run-details.ts';
import { dispatch, modelFlag, parse, UsageError } from './args.ts';
import { connectClient, runWorkflowId } from '../../runs/client.ts';
import { ModelNameKey } from '../../workflows/definitions.ts';
import type { setProduction } from '../../workflows/index.ts';
import { rootCause } from '../failures.ts';
import type { SetProductionInput } from '../../activities/pipeline/types.ts';
import { getModel } from '../../registry/models.ts';
import { modelDetail, modelsList } from '../../views/models.ts';
import { currentPolicy, policyHistory, setPolicy } from '../../registry/policies.ts';
import { checkStoredPolicy, defaultComparisonPolicy, minEvaluationRowsOf, type ComparisonPolicy } from '../../ml/compare.ts';
import { policyFile } from './retrain.ts';
import { renderTable } from '../table.ts';
import { modelsMode } from './models-mode.ts';

export const MODELS_HELP = `Usage: nightshift models list [--json]
       nightshift models show --model NAME [--json]
       nightshift models promote --model NAME --version V --reason TEXT [--actor NAME] [--json]
       nightshift models rollback --model NAME [--to V] --reason TEXT [--actor NAME] [--json]
       nightshift models policy --model NAME [--json] [--history]
       nightshift models policy --model NAME (--set FILE.json | policy flags) --reason TEXT [--actor NAME]
       nightshift models mode --model NAME [--set full|update --reason TEXT] [--json]

list:     every model with its production version and version count.
show:     one model's versions (status: production, candidate, archived, rejected, superseded,
          abandoned), each with the metrics of its own run beside the champion's, both measured on
          the same held-out rows (the rows column says how many); the promotion history.
promote:  make version V production (an audited override), as a workflow on the running stack.
rollback: make the previous production version (or --to V) production again, as a workflow.
          Both leave exactly one production version and a promotion-history row naming who and why.
policy:   the promotion policy scheduled and manual runs of the model use (the built-in default
          until one is set); every change is a new version naming who and why (--history lists
          them). Change it with --set FILE.json (the JSON that --json prints) or with flags that
          edit the policy in force:
            --min-accuracy X          candidate accuracy at least X
            --min-f1 X                candidate F1 at least X
            --min-f1-improvement X    F1 at least X above the champion's (default 0.001)
            --max-accuracy-drop X     accuracy at most X below the champion's (default 0.005)
            --significance ALPHA      also require McNemar's test at ALPHA (none: drop it)
            --max-token-drift X       refuse when the token distribution drifted more (JS divergence)
mode:     the training mode of runs that name no --mode: full (from zero on all history, the
          default) or update (continue the production version on the new rows and a replay sample).
list, show, policy and mode work with or without \`nightshift up\` running (they start the embedded
PostgreSQL if needed); promote and rollback need the running stack (or TEMPORAL_ADDRESS).`;

const f = formatMetric;

async function withRegistry<T>(config: Config, fn: (registry: Registry) => Promise<T>): Promise<T> {
  const registry = await openRegistry(config);
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}

function printHelp(): number {
  process.stdout.write(MODELS_HELP + '\n');
  return 0;
}

async function list(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' } });
  if (values.help) return printHelp();
  return withRegistry(config, async ({ db }) => {
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

async function show(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) return printHelp();
  const name = modelFlag(values.model, 'models show');
  return withRegistry(config, async ({ db }) => {
    const out = await modelDetail(db, name);
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
          { header: 'CREATED', value: (v) => v.createdAt },
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
  if (raw === undefined) return undefined;
  const v = Number(raw.replace(/^v/, ''));
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be a version number such as 3, got ${JSON.stringify(raw)}`);
  return v;
}

async function setProductionCommand(sub: 'promote' | 'rollback', argv: string[], config: Config): Promise<number> {
  const flag = sub === 'promote' ? 'version' : 'to';
  const { values } = parse(argv, {
    model: { type: 'string' },
    [flag]: { type: 'string' },
    reason: { type: 'string' },
    actor: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return printHelp();
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
  const target = await resolveTemporal(config);
  const { client, close } = await connectClient(target);
  try {
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
  } finally {
    await close();
  }
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

function numberFlag(flag: (typeof POLICY_FLAGS)[number], raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got ${JSON.stringify(raw)}`);
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
  if (flags['min-accuracy'] !== undefined) setAbsolute('accuracy', numberFlag('min-accuracy', flags['min-accuracy']));
  if (flags['min-f1'] !== undefined) setAbsolute('f1', numberFlag('min-f1', flags['min-f1']));
  if (flags['min-f1-improvement'] !== undefined) setChange('f1', numberFlag('min-f1-improvement', flags['min-f1-improvement']));
  if (flags['max-accuracy-drop'] !== undefined) setChange('accuracy', -numberFlag('max-accuracy-drop', flags['max-accuracy-drop']));
  if (flags.significance !== undefined) {
    if (flags.significance === 'none') delete p.significance;
    else p.significance = { alpha: numberFlag('significance', flags.significance) };
  }
  if (flags['max-token-drift'] !== undefined)
    p.drift = { ...p.drift, maxTokenJensenShannon: numberFlag('max-token-drift', flags['max-token-drift']) };
  try {
    checkStoredPolicy(p);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return p;
}

async function policy(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    json: { type: 'boolean' },
    history: { type: 'boolean' },
    set: { type: 'string' },
    reason: { type: 'string' },
    actor: { type: 'string' },
    ...Object.fromEntries(POLICY_FLAGS.map((flag) => [flag, { type: 'string' as const }])),
  });
  if (values.help) return printHelp();
  const name = modelFlag(values.model, 'models policy');
  const flagValues = values as Record<string, string | boolean | undefined>;
  const edits = Object.fromEntries(
    POLICY_FLAGS.filter((flag) => flagValues[flag] !== undefined).map((flag) => [flag, String(flagValues[flag])]),
  );
  const changing = values.set !== undefined || Object.keys(edits).length > 0;
  if (values.set !== undefined && Object.keys(edits).length)
    throw new UsageError('models policy takes --set FILE.json or policy flags, not both');
  if (changing && !values.reason?.trim()) throw new UsageError('changing a policy needs --reason TEXT saying why');
  // The flags checked before anything is opened (against the default; again on the policy in force).
  if (Object.keys(edits).length) editPolicy(defaultComparisonPolicy, edits);
  const fromFile = values.set !== undefined ? policyFile(values.set) : null;
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

export function models(argv: string[], config: Config): Promise<number> {
  return dispatch('models', argv, MODELS_HELP, {
    list: { summary: 'list models', run: (a) => list(a, config) },
    show: { summary: "show one model's versions", run: (a) => show(a, config) },
    promote: { summary: 'promote a version by hand', run: (a) => setProductionCommand('promote', a, config) },
    rollback: { summary: 'roll production back', run: (a) => setProductionCommand('rollback', a, config) },
    policy: { summary: "read or change a model's promotion policy", run: (a) => policy(a, config) },
    mode: { summary: "read or set a model's default training mode", run: (a) => modelsMode(a, config, MODELS_HELP) },
  });
}
