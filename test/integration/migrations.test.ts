/** Migrations: applied once, in order, under an advisory lock, even when processes race to apply them. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createPool } from '../../activities/registry/pool.ts';
import { loadMigrations, migrate } from '../../activities/registry/migrate.ts';

describe('migrations', () => {
  it('five processes migrating one fresh database at once: each migration is applied exactly once', async () => {
    const adminUrl = inject('databaseUrl');
    const name = `ns_migrate_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const pools = Array.from({ length: 5 }, () => createPool(url.toString(), { max: 1 }));
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
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
