import type { Queryable } from './pool.ts';
import { RegistryError } from './errors.ts';

export interface ModelRow {
  id: number;
  name: string;
  labels: string[] | null;
  createdAt: string;
}

/** Model names: 1-200 characters, letters, digits, '.', '_', '-' (they appear in workflow ids). */
export function checkModelName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(name)) {
    throw new RegistryError(
      'InvalidName',
      `invalid model name ${JSON.stringify(name)}: use 1-200 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
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
