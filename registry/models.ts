import type { Queryable } from './pool.ts';
import { RegistryError } from './errors.ts';

export interface ModelRow {
  id: number;
  name: string;
  labels: string[] | null;
  createdAt: string;
}

/**
 * Longest model name. A name appears in workflow and schedule ids and in the schedule's calendar
 * comment ("nightly retraining of <model> at 02:00 <timezone>"), which Temporal caps at 200
 * characters: 100 leaves room for any timezone name.
 */
export const MAX_MODEL_NAME = 100;

/** Model names: 1-100 characters, letters, digits, '.', '_', '-' (they appear in workflow ids). */
export function checkModelName(name: unknown): string {
  if (typeof name !== 'string' || !new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_MODEL_NAME - 1}}$`).test(name)) {
    throw new RegistryError(
      'InvalidName',
      `invalid model name ${JSON.stringify(typeof name === 'string' && name.length > 120 ? `${name.slice(0, 120)}...` : name)}: use 1-${MAX_MODEL_NAME} letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

/** Edit distance (insert, delete, substitute, each 1). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The existing model whose name is nearest to `name` (a typo's likely intent), if one is close. */
export async function nearestModelName(db: Queryable, name: string): Promise<string | null> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM models ORDER BY name LIMIT 10000');
  let best: { name: string; distance: number } | null = null;
  for (const r of rows) {
    const distance = editDistance(name.toLowerCase(), r.name.toLowerCase());
    if (!best || distance < best.distance) best = { name: r.name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.name : null;
}

interface RawModel {
  id: string;
  name: string;
  labels: string[] | null;
  created_at: Date;
}

const toModel = (r: RawModel): ModelRow => ({ id: Number(r.id), name: r.name, labels: r.labels, createdAt: r.created_at.toISOString() });

export async function ensureModel(db: Queryable, name: string, labels?: string[]): Promise<ModelRow> {
  checkModelName(name);
  await db.query('INSERT INTO models (name, labels) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, labels ?? null]);
  return getModel(db, name);
}

export async function findModel(db: Queryable, name: string): Promise<ModelRow | null> {
  const { rows } = await db.query<RawModel>('SELECT id, name, labels, created_at FROM models WHERE name = $1', [name]);
  return rows[0] ? toModel(rows[0]) : null;
}

export async function getModel(db: Queryable, name: string): Promise<ModelRow> {
  const model = await findModel(db, name);
  if (!model) {
    const { rows } = await db.query<{ name: string }>('SELECT name FROM models ORDER BY name LIMIT 20');
    const known = rows.map((r) => r.name);
    throw new RegistryError(
      'UnknownModel',
      `unknown model ${JSON.stringify(name)}${known.length ? `; known models: ${known.join(', ')}` : '; the registry has no models yet (import data first)'}`,
    );
  }
  return model;
}

export async function listModels(db: Queryable): Promise<ModelRow[]> {
  const { rows } = await db.query<RawModel>('SELECT id, name, labels, created_at FROM models ORDER BY name');
  return rows.map(toModel);
}
