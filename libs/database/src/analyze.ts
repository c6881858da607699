import type { EntityManager } from 'typeorm';
import { quoteIdent } from './data-source';

/**
 * ANALYZE every table of a schema, returning their names. A replay rebuilds a service's tables in
 * minutes; until autovacuum notices (or never, on a server that runs without it, as this project's
 * CI server does) the planner keeps the statistics of the tables before the rebuild.
 */
export async function analyzeSchema(manager: Pick<EntityManager, 'query'>, schema: string): Promise<string[]> {
  const rows: Array<{ tablename: string }> = await manager.query(
    'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
    [schema],
  );
  for (const { tablename } of rows) await manager.query(`ANALYZE ${quoteIdent(schema)}.${quoteIdent(tablename)}`);
  return rows.map((row) => row.tablename);
}
