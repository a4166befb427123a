import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/database/migrate.js';
import { MIGRATIONS } from '../../src/database/migrations.js';
import { PgPoolDatabase } from '../../src/database/pg-pool-database.js';
import { postgresTestDatabase } from '../support/databases.js';
import { serviceUrl, skipReason } from '../support/services.js';

const postgresUrl = serviceUrl('DATABASE_URL');

describe.skipIf(!postgresUrl)(`migrations on PostgreSQL ${postgresUrl ? '' : skipReason('DATABASE_URL')}`, () => {
  it('apply once when several nodes start at the same moment', async () => {
    const database = await postgresTestDatabase(postgresUrl!, false);
    const nodes = Array.from({ length: 4 }, () => new PgPoolDatabase(database.url!, 2));
    try {
      const applied = await Promise.all(nodes.map((node) => migrate(node)));
      expect(applied.flat()).toEqual(MIGRATIONS.map((migration) => migration.name));
      const recorded = await database.db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
      expect(recorded.map((row) => row.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await database.dispose();
    }
  });

  it('roll back a failing migration whole, leaving nothing recorded', async () => {
    const database = await postgresTestDatabase(postgresUrl!, false);
    try {
      const broken = [
        ...MIGRATIONS,
        { name: '999-broken', sql: 'CREATE TABLE half (id int); SELECT no_such_function();' },
      ];
      await expect(migrate(database.db, broken)).rejects.toThrow();
      const tables = await database.db.query<{ count: string }>(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
      );
      expect(Number(tables[0]?.count)).toBe(0);
    } finally {
      await database.dispose();
    }
  });
});
