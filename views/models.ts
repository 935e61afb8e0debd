/**
 * The registry's models as JSON: the documents `nightshift models list --json` and
 * `nightshift models show --json` print, and the model server's /v1/registry/models routes return.
 */
import type { MetricValues } from '../ml/compare.ts';
import { getModel, listModels } from '../registry/models.ts';
import type { Queryable } from '../registry/pool.ts';
import { listPromotionEvents, productionVersionId, type PromotionEvent } from '../registry/promotions.ts';
import { decisionsByCandidate } from '../registry/run-outcomes.ts';
import { listVersions } from '../registry/versions.ts';

export interface ModelListEntry {
  name: string;
  versions: number;
  production: number | null;
}

export async function modelsList(db: Queryable): Promise<{ models: ModelListEntry[] }> {
  const models: ModelListEntry[] = [];
  for (const m of await listModels(db)) {
    const versions = await listVersions(db, m.id);
    const prod = await productionVersionId(db, m.id);
    models.push({ name: m.name, versions: versions.length, production: versions.find((v) => v.id === prod)?.version ?? null });
  }
  return { models };
}

type Metrics = MetricValues;

const headline = (m: Metrics | undefined): Metrics | null =>
  m ? { accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1 } : null;

/** One model's versions, each with its own run's evaluation beside the champion's, and the promotion history. */
export async function modelDetail(db: Queryable, name: string) {
  const model = await getModel(db, name);
  const versions = await listVersions(db, model.id);
  const decisions = await decisionsByCandidate(db, model.id);
  const prodId = await productionVersionId(db, model.id);
  const promotions: PromotionEvent[] = await listPromotionEvents(db, model.id);
  return {
    model: model.name,
    production: versions.find((v) => v.id === prodId)?.version ?? null,
    versions: versions.map((v) => {
      const d = decisions.get(v.id);
      const c = d?.record.candidate.metrics;
      const b = d?.record.champion?.metrics;
      return {
        version: v.version,
        status: v.status,
        sha256: v.sha256,
        sizeBytes: v.sizeBytes,
        labels: v.labels,
        createdAt: v.createdAt,
        workflowId: v.workflowId,
        // Candidate and champion on the same held-out rows of the version's own run: like with like.
        evaluation: d
          ? {
              rows: c?.examples ?? null,
              snapshotId: d.snapshotId,
              decision: d.record.decision,
              outcome: d.outcome,
              metrics: headline(c),
              champion: d.record.champion ? { version: d.record.champion.version, metrics: headline(b) } : null,
            }
          : null,
      };
    }),
    promotions,
  };
}

export type ModelDetail = Awaited<ReturnType<typeof modelDetail>>;
