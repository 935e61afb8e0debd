import type { Config } from '../config.ts';
import { openRegistry } from '../stack/stack.ts';
import { printJson } from '../output.ts';
import { parse, UsageError } from './args.ts';
import { getModel, listModels } from '../../activities/registry/models.ts';
import { latestEvaluations, listVersions } from '../../activities/registry/versions.ts';
import { listPromotionEvents, productionVersionId } from '../../activities/registry/promotions.ts';

export const MODELS_HELP = `Usage: nightshift models list [--json]
       nightshift models show --model NAME [--json]

list: every model with its production version and version count.
show: one model's versions (status: production, candidate, archived, rejected), their latest
      metrics, the production alias and the promotion history.
Works with or without \`nightshift up\` running (starts the embedded PostgreSQL if needed).`;

const f = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(4));

export async function models(argv: string[], config: Config): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, { model: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help || sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(MODELS_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'list' && sub !== 'show') throw new UsageError(`unknown subcommand models ${sub}; use list or show`);
  if (sub === 'show' && !values.model) throw new UsageError('models show needs --model NAME');
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
      else for (const r of rows) process.stdout.write(`${r.name.padEnd(24)} production ${r.production === null ? '-' : `v${r.production}`}  (${r.versions} versions)\n`);
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
          version: v.version, status: v.status, sha256: v.sha256, sizeBytes: v.sizeBytes, labels: v.labels, createdAt: v.createdAt,
          workflowId: v.workflowId, metrics: m ? { accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1, examples: m.examples } : null,
        };
      }),
      promotions: history,
    };
    if (values.json) {
      printJson(out);
      return 0;
    }
    const lines = [`model ${out.model}: production ${out.production === null ? '(none)' : `v${out.production}`}`, '', '  version  status      accuracy  precision  recall    f1        created'];
    for (const v of out.versions) {
      lines.push(`  v${String(v.version).padEnd(7)} ${v.status.padEnd(11)} ${f(v.metrics?.accuracy).padEnd(9)} ${f(v.metrics?.precision).padEnd(10)} ${f(v.metrics?.recall).padEnd(9)} ${f(v.metrics?.f1).padEnd(9)} ${v.createdAt}`);
    }
    if (history.length) {
      lines.push('', '  promotions:');
      for (const e of history) lines.push(`    ${e.createdAt} ${e.kind} ${e.fromVersion === null ? '(none)' : `v${e.fromVersion}`} -> v${e.toVersion} by ${e.actor}: ${e.reason}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    await registry.close();
  }
}
