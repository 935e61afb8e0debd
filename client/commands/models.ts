import type { Config } from '../../stack/config.ts';
import { openRegistry, resolveTemporal, runUiLink } from '../../stack/stack.ts';
import { printJson } from '../output.ts';
import { formatMetric } from '../../workflows/run-details.ts';
import { parse, UsageError } from './args.ts';
import os from 'node:os';
import { connectClient, runWorkflowId } from '../runs.ts';
import { TypedSearchAttributes } from '@temporalio/common';
import { ModelNameKey } from '../../workflows/definitions.ts';
import type { setProduction } from '../../workflows/index.ts';
import { rootCause } from '../failures.ts';
import type { SetProductionInput, SetProductionResult } from '../../activities/pipeline/types.ts';
import { getModel, listModels } from '../../activities/registry/models.ts';
import { latestEvaluations, listVersions } from '../../activities/registry/versions.ts';
import { listPromotionEvents, productionVersionId } from '../../activities/registry/promotions.ts';

export const MODELS_HELP = `Usage: nightshift models list [--json]
       nightshift models show --model NAME [--json]
       nightshift models promote --model NAME --version V --reason TEXT [--json]
       nightshift models rollback --model NAME [--to V] --reason TEXT [--json]

list: every model with its production version and version count.
show: one model's versions (status: production, candidate, archived, rejected), their latest
      metrics, the production alias and the promotion history.
promote:  make version V production (an audited override), as a workflow on the running stack.
rollback: make the previous production version (or --to V) production again, as a workflow.
Both leave exactly one production version and a promotion-history row naming who and why.
list and show work with or without \`nightshift up\` running (they start the embedded
PostgreSQL if needed); promote and rollback need the running stack (or TEMPORAL_ADDRESS).`;

const f = formatMetric;

export async function models(argv: string[], config: Config): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, {
    model: { type: 'string' },
    json: { type: 'boolean' },
    version: { type: 'string' },
    to: { type: 'string' },
    reason: { type: 'string' },
    actor: { type: 'string' },
  });
  if (values.help || sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(MODELS_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (!['list', 'show', 'promote', 'rollback'].includes(sub))
    throw new UsageError(`unknown subcommand models ${sub}; use list, show, promote or rollback`);
  if (sub !== 'list' && !values.model) throw new UsageError(`models ${sub} needs --model NAME`);
  if (sub === 'promote' || sub === 'rollback') return setProductionCommand(sub, values, config);
  const registry = await openRegistry(config);
  try {
    const db = registry.db;
    if (sub === 'list') {
      const all = await listModels(db);
      const rows = [];
      for (const m of all) {
        const versions = await listVersions(db, m.id);
        const prod = await productionVersionId(db, m.id);
        rows.push({ name: m.name, versions: versions.length, production: versions.find((v) => v.id === prod)?.version ?? null });
      }
      if (values.json) printJson({ models: rows });
      else if (rows.length === 0) process.stdout.write('no models yet: import data with `nightshift data import` or run `nightshift up`\n');
      else
        for (const r of rows)
          process.stdout.write(
            `${r.name.padEnd(24)} production ${r.production === null ? '-' : `v${r.production}`}  (${r.versions} versions)\n`,
          );
      return 0;
    }
    const model = await getModel(db, values.model!);
    const versions = await listVersions(db, model.id);
    const evals = await latestEvaluations(db, model.id);
    const prodId = await productionVersionId(db, model.id);
    const history = await listPromotionEvents(db, model.id);
    const out = {
      model: model.name,
      production: versions.find((v) => v.id === prodId)?.version ?? null,
      versions: versions.map((v) => {
        const m = evals.get(v.id);
        return {
          version: v.version,
          status: v.status,
          sha256: v.sha256,
          sizeBytes: v.sizeBytes,
          labels: v.labels,
          createdAt: v.createdAt,
          workflowId: v.workflowId,
          metrics: m ? { accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1, examples: m.examples } : null,
        };
      }),
      promotions: history,
    };
    if (values.json) {
      printJson(out);
      return 0;
    }
    const lines = [
      `model ${out.model}: production ${out.production === null ? '(none)' : `v${out.production}`}`,
      '',
      '  version  status      accuracy  precision  recall    f1        created',
    ];
    for (const v of out.versions) {
      lines.push(
        `  v${String(v.version).padEnd(7)} ${v.status.padEnd(11)} ${f(v.metrics?.accuracy).padEnd(9)} ${f(v.metrics?.precision).padEnd(10)} ${f(v.metrics?.recall).padEnd(9)} ${f(v.metrics?.f1).padEnd(9)} ${v.createdAt}`,
      );
    }
    if (history.length) {
      lines.push('', '  promotions:');
      for (const e of history)
        lines.push(
          `    ${e.createdAt} ${e.kind} ${e.fromVersion === null ? '(none)' : `v${e.fromVersion}`} -> v${e.toVersion} by ${e.actor}: ${e.reason}`,
        );
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    await registry.close();
  }
}

function versionFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw.replace(/^v/, ''));
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be a version number such as 3, got ${JSON.stringify(raw)}`);
  return v;
}

async function setProductionCommand(
  sub: 'promote' | 'rollback',
  values: { model?: string; version?: string; to?: string; reason?: string; actor?: string; json?: boolean },
  config: Config,
): Promise<number> {
  const version = sub === 'promote' ? versionFlag('version', values.version) : versionFlag('to', values.to);
  if (sub === 'promote' && version === undefined) throw new UsageError('models promote needs --version V');
  if (!values.reason?.trim()) throw new UsageError(`models ${sub} needs --reason TEXT`);
  const input: SetProductionInput = {
    model: values.model!,
    kind: sub === 'promote' ? 'override' : 'rollback',
    ...(version !== undefined ? { version } : {}),
    reason: values.reason,
    actor: `person:${values.actor ?? os.userInfo().username}`,
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
      staticSummary: `${sub === 'promote' ? 'Promote' : 'Roll back'} ${input.model}${version !== undefined ? ` to v${version}` : ''}`,
      staticDetails: `By ${input.actor}: ${input.reason}`,
    });
    let result: SetProductionResult;
    try {
      result = await handle.result();
    } catch (err) {
      throw new Error(rootCause(err).message);
    }
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
