/** Imports parsed rows into the registry and reports what happened to each. */
import { ensureModel } from '../registry/models.ts';
import { insertExamples, type NewExample } from '../registry/examples.ts';
import type { Db } from '../registry/pool.ts';
import type { RejectedLine } from './jsonl.ts';

export interface ImportReport {
  model: string;
  source: string;
  accepted: number;
  duplicates: number;
  rejected: RejectedLine[];
}

export async function importExamples(
  db: Db,
  modelName: string,
  source: string,
  rows: NewExample[],
  rejected: RejectedLine[] = [],
): Promise<ImportReport> {
  const model = await ensureModel(db, modelName);
  const { inserted, duplicates } = await insertExamples(db, model.id, source, rows);
  return { model: modelName, source, accepted: inserted, duplicates, rejected };
}
