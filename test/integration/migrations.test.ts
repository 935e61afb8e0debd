/** Migrations: applied once, in order, under an advisory lock, even when processes race to apply them. */
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/services.ts';
import { createPool } from '../../registry/pool.ts';
import { loadMigrations, migrate } from '../../registry/migrate.ts';

describe('migrations', () => {
  it('five processes migrating one fresh database at once: each migration is applied exactly once', async () => {
    const database = await createTestDatabase({ migrated: false });
    const pools = Array.from({ length: 5 }, () => createPool(database.url, { max: 1 }));
    try {
      const applied = await Promise.all(pools.map((p) => migrate(p)));
      const all = loadMigrations().map((m) => m.name);
      expect(applied.flat().sort()).toEqual(all.sort());
      expect(applied.filter((a) => a.length > 0)).toHaveLength(1);
      const { rows } = await pools[0].query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
      expect(await migrate(pools[0])).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await database.drop();
    }
  });
});
