import { expect } from 'vitest';
import { createDataSource, migrate, type MigrationClass } from '@touchstream/database';
import { dropSchema } from './namespace';

async function tablesIn(dataSource: ReturnType<typeof createDataSource>, schema: string): Promise<string[]> {
  const rows: Array<{ table_name: string }> = await dataSource.query(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [schema],
  );
  return rows.map((row) => row.table_name);
}

/**
 * Applies a service's migrations to a fresh schema on the real Postgres, checks the tables,
 * reverts every migration, and applies them again: every migration must have a working down().
 */
export async function expectMigrationsApplyAndRevert(
  databaseUrl: string,
  schema: string,
  migrations: readonly MigrationClass[],
  expectedTables: string[],
): Promise<void> {
  const dataSource = createDataSource({ url: databaseUrl, schema, poolSize: 2 }, migrations);
  await dataSource.initialize();
  try {
    const applied = await migrate(dataSource);
    expect(applied.length).toBeGreaterThan(0);
    expect(await tablesIn(dataSource, schema)).toEqual([...expectedTables, 'migrations'].sort());
    expect(await migrate(dataSource)).toEqual([]);
    for (let i = 0; i < applied.length; i += 1) await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tablesIn(dataSource, schema)).toEqual(['migrations']);
    expect(await migrate(dataSource)).toEqual(applied);
  } finally {
    await dataSource.destroy();
    await dropSchema(databaseUrl, schema);
  }
}
