/** Per-model settings: the default training mode (full unless set). */
import type { Queryable } from './pool.ts';

export type TrainingMode = 'full' | 'update';

export interface ModelSettings {
  trainingMode: TrainingMode;
  changedBy: string | null;
  reason: string | null;
  updatedAt: string | null;
}

export async function modelSettings(db: Queryable, modelId: number): Promise<ModelSettings> {
  const { rows } = await db.query<{ training_mode: TrainingMode; changed_by: string; reason: string; updated_at: Date }>(
    'SELECT training_mode, changed_by, reason, updated_at FROM model_settings WHERE model_id = $1',
    [modelId],
  );
  const r = rows[0];
  return r
    ? { trainingMode: r.training_mode, changedBy: r.changed_by, reason: r.reason, updatedAt: r.updated_at.toISOString() }
    : { trainingMode: 'full', changedBy: null, reason: null, updatedAt: null };
}

export async function setTrainingMode(
  db: Queryable,
  modelId: number,
  mode: TrainingMode,
  changedBy: string,
  reason: string,
): Promise<ModelSettings> {
  await db.query(
    `INSERT INTO model_settings (model_id, training_mode, changed_by, reason) VALUES ($1, $2, $3, $4)
     ON CONFLICT (model_id) DO UPDATE SET training_mode = $2, changed_by = $3, reason = $4, updated_at = now()`,
    [modelId, mode, changedBy, reason],
  );
  return modelSettings(db, modelId);
}
