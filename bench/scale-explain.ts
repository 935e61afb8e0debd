/**
 * `npm run bench -- scale-explain [DATABASE_URL]`: the plans of the registry's hot reads on a
 * registry of 100 models and 4,000 versions (with decisions, evaluations, snapshots, promotion
 * events, 200,000 predictions and 20,000 monitor events), before and after migration 007. Prints
 * each query's plan shape (sequential scans named) and execution time, in a database it creates
 * and drops (on the given server, else an embedded PostgreSQL started for it).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { createPool } from '../registry/pool.ts';
import { loadMigrations, migrate } from '../registry/migrate.ts';
import { startEmbeddedPostgres } from '../stack/embedded-postgres.ts';
import { freePort } from '../stack/ports.ts';
import { tempDir } from '../test/support/dirs.ts';

const MODELS = 100;
const VERSIONS_PER_MODEL = 40;
const PREDICTIONS = 200_000;
const MONITOR_EVENTS = 20_000;

/** The hot reads, with the parameters they are called with (model 50, its production version). */
const QUERIES: Array<{ name: string; sql: string; params: (ids: { model: number; version: number }) => unknown[] }> = [
  { name: 'models list: models', sql: 'SELECT id, name, labels, created_at FROM models ORDER BY name', params: () => [] },
  {
    name: 'models list/show: versions',
    sql: `SELECT id, model_id, version, status, sha256, octet_length(weights) FROM model_versions WHERE model_id = $1 ORDER BY version`,
    params: (i) => [i.model],
  },
  {
    name: 'production alias',
    sql: 'SELECT version_id FROM aliases WHERE model_id = $1 AND alias = $2',
    params: (i) => [i.model, 'production'],
  },
  {
    name: 'models show: decisions by candidate',
    sql: `SELECT DISTINCT ON (candidate_version_id) candidate_version_id, dataset_snapshot_id, workflow_id, outcome, record
          FROM decisions WHERE model_id = $1 ORDER BY candidate_version_id, id DESC`,
    params: (i) => [i.model],
  },
  {
    name: 'models show: latest evaluations',
    sql: `SELECT DISTINCT ON (e.model_version_id) e.model_version_id, e.metrics
          FROM evaluations e JOIN model_versions v ON v.id = e.model_version_id
          WHERE v.model_id = $1 ORDER BY e.model_version_id, e.id DESC`,
    params: (i) => [i.model],
  },
  {
    name: 'models show: promotion events',
    sql: `SELECT e.*, f.version AS from_version, t.version AS to_version FROM promotion_events e
          LEFT JOIN model_versions f ON f.id = e.from_version_id JOIN model_versions t ON t.id = e.to_version_id
          WHERE e.model_id = $1 ORDER BY e.id`,
    params: (i) => [i.model],
  },
  {
    name: 'rollback: previous version',
    sql: 'SELECT from_version_id FROM promotion_events WHERE model_id = $1 AND to_version_id = $2 ORDER BY id DESC LIMIT 1',
    params: (i) => [i.model, i.version],
  },
  {
    name: 'fetchNewData: last decided snapshot',
    sql: `SELECT s.* FROM dataset_snapshots s JOIN decisions d ON d.dataset_snapshot_id = s.id
          WHERE s.model_id = $1 AND d.outcome IS NOT NULL ORDER BY s.to_example_id DESC, s.id DESC LIMIT 1`,
    params: (i) => [i.model],
  },
  {
    name: 'monitor: production with accuracy',
    sql: `SELECT v.id, v.version, (SELECT (e.metrics->>'accuracy')::float8 FROM evaluations e
            WHERE e.model_version_id = v.id AND e.dataset_snapshot_id = v.dataset_snapshot_id) AS accuracy
          FROM aliases a JOIN model_versions v ON v.id = a.version_id LEFT JOIN dataset_snapshots s ON s.id = v.dataset_snapshot_id
          WHERE a.model_id = $1 AND a.alias = 'production'`,
    params: (i) => [i.model],
  },
  {
    name: 'monitor: live window counts',
    sql: `SELECT label, label_true, count(*) AS n FROM predictions WHERE model_id = $1 AND version_id = $2 AND created_at >= $3 GROUP BY 1, 2`,
    params: (i) => [i.model, i.version, new Date(Date.now() - 3600_000).toISOString()],
  },
  {
    name: 'live metrics: whole version counts',
    sql: 'SELECT label, label_true, count(*) AS n FROM predictions WHERE model_id = $1 AND version_id = $2 GROUP BY 1, 2',
    params: (i) => [i.model, i.version],
  },
  {
    name: 'live metrics: recent feedback',
    sql: `SELECT label, label_true, count(*) AS n FROM (SELECT label, label_true FROM predictions
            WHERE model_id = $1 AND version_id = $2 AND label_true IS NOT NULL ORDER BY feedback_at DESC LIMIT $3) r GROUP BY 1, 2`,
    params: (i) => [i.model, i.version, 500],
  },
  {
    name: 'monitor: last retrain started',
    sql: `SELECT created_at FROM monitor_events WHERE model_id = $1 AND action = 'retrain-started' ORDER BY created_at DESC LIMIT 1`,
    params: (i) => [i.model],
  },
  {
    name: 'monitor show: events',
    sql: 'SELECT * FROM monitor_events WHERE model_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
    params: (i) => [i.model, 50],
  },
];

/** Fills the registry with set-based INSERTs (no parameters needed: every value is generated). */
const FILL = [
  `INSERT INTO models (name, labels) SELECT 'model-' || g, ARRAY['ham', 'spam'] FROM generate_series(1, ${MODELS}) g`,
  `INSERT INTO dataset_snapshots (model_id, workflow_id, run_id, status, after_example_id, to_example_id, window_end, new_rows,
     train_rows, eval_rows, label_counts, content_hash, profile)
   SELECT m.id, 'wf-' || m.id || '-' || v, 'run', 'valid', (v - 1) * 100, v * 100, now(), 100, 80, 20, '{}', 'h', '{}'
   FROM models m, generate_series(1, ${VERSIONS_PER_MODEL}) v`,
  `INSERT INTO model_versions (model_id, version, status, format_version, weights, sha256, labels, hyperparameters, training,
     dataset_snapshot_id, workflow_id, run_id)
   SELECT s.model_id, split_part(s.workflow_id, '-', 3)::int, 'archived', 1, '\\x00', 'x', ARRAY['ham', 'spam'], '{}', '{}', s.id,
     s.workflow_id, 'run'
   FROM dataset_snapshots s`,
  `INSERT INTO evaluations (model_version_id, dataset_snapshot_id, metrics, correct)
   SELECT v.id, v.dataset_snapshot_id, '{"accuracy": 0.9}', ARRAY[true] FROM model_versions v`,
  `INSERT INTO decisions (model_id, dataset_snapshot_id, champion_version_id, candidate_version_id, decision, record, workflow_id,
     run_id, outcome)
   SELECT v.model_id, v.dataset_snapshot_id, NULL, v.id, 'PROMOTE', '{}', v.workflow_id, 'run', 'PROMOTED' FROM model_versions v`,
  `INSERT INTO promotion_events (model_id, from_version_id, to_version_id, kind, reason, actor, workflow_id, run_id)
   SELECT v.model_id, NULL, v.id, 'promote', 'bench', 'bench', v.workflow_id, 'run' FROM model_versions v`,
  `INSERT INTO aliases (model_id, alias, version_id)
   SELECT DISTINCT ON (model_id) model_id, 'production', id FROM model_versions ORDER BY model_id, version DESC`,
  `INSERT INTO predictions (id, model_id, version_id, version, created_at, text_hash, text, label, probabilities, latency_ms,
     label_true, feedback_at)
   SELECT gen_random_uuid(), a.model_id, CASE WHEN g % 3 = 0 THEN a.version_id ELSE a.version_id - 1 END, 40,
     now() - (g % 86400) * interval '1 second', '\\x00', NULL, 'ham', '{}', 1.5,
     CASE WHEN g % 10 = 0 THEN 'spam' END, CASE WHEN g % 10 = 0 THEN now() END
   FROM generate_series(1, ${PREDICTIONS}) g JOIN aliases a ON a.model_id = (SELECT min(id) FROM models) + g % ${MODELS}`,
  `INSERT INTO monitor_events (model_id, workflow_id, run_id, version, live, breaches, action, reason, created_at)
   SELECT (SELECT min(id) FROM models) + g % ${MODELS}, 'mon-' || g, 'run', 40, '{}', '[]',
     CASE WHEN g % 50 = 0 THEN 'retrain-started' ELSE 'none' END, 'bench', now() - g * interval '1 minute'
   FROM generate_series(1, ${MONITOR_EVENTS}) g`,
  'ANALYZE',
];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function shape(node: PlanNode): string[] {
  const here =
    node['Node Type'] === 'Seq Scan'
      ? [`Seq Scan on ${node['Relation Name']}`]
      : node['Index Name']
        ? [`${node['Node Type']} using ${node['Index Name']}`]
        : [];
  return [...here, ...(node.Plans ?? []).flatMap(shape)];
}

async function explainAll(client: pg.Client, ids: { model: number; version: number }): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const q of QUERIES) {
    const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }> }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${q.sql}`,
      q.params(ids),
    );
    const plan = rows[0]['QUERY PLAN'][0];
    out.set(q.name, `${plan['Execution Time'].toFixed(2).padStart(8)} ms  ${shape(plan.Plan).join(', ') || plan.Plan['Node Type']}`);
  }
  return out;
}

export async function benchScaleExplain(serverUrl?: string): Promise<string> {
  let home: string | null = null;
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | null = null;
  let adminUrl = serverUrl;
  if (!adminUrl) {
    home = tempDir(path.join(os.tmpdir(), 'nightshift-explain-'));
    embedded = await startEmbeddedPostgres(path.join(home, 'home'), await freePort(), () => undefined);
    adminUrl = embedded.adminUrl;
  }
  const name = `ns_explain_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createPool(url.toString(), { max: 2 });
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    const all = loadMigrations();
    await migrate(
      db,
      all.filter((m) => m.version < 7),
    );
    for (const sql of FILL) await db.query(sql);
    await client.connect();
    const { rows } = await client.query<{ model: string; version: string }>(
      `SELECT a.model_id AS model, a.version_id AS version FROM aliases a JOIN models m ON m.id = a.model_id WHERE m.name = 'model-50'`,
    );
    const ids = { model: Number(rows[0].model), version: Number(rows[0].version) };
    const before = await explainAll(client, ids);
    await migrate(db, all);
    await client.query('ANALYZE');
    const after = await explainAll(client, ids);
    const lines = [
      `registry hot reads: ${MODELS} models, ${MODELS * VERSIONS_PER_MODEL} versions (and as many snapshots, evaluations, decisions,` +
        ` promotion events), ${PREDICTIONS} predictions, ${MONITOR_EVENTS} monitor events; EXPLAIN ANALYZE, model 50`,
    ];
    for (const q of QUERIES) lines.push(`  ${q.name}`, `    before 007: ${before.get(q.name)}`, `    after 007:  ${after.get(q.name)}`);
    return lines.join('\n');
  } finally {
    await client.end().catch(() => undefined);
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  }
}
