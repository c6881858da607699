import type { EntityManager } from 'typeorm';

/**
 * The rows of an INSERT/UPDATE/DELETE ... RETURNING inside a transaction (typeorm's plain query
 * answers [rows, count] to an UPDATE or DELETE, the rows alone to the others).
 */
export async function returningRows<T>(transaction: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const runner = transaction.queryRunner;
  if (!runner) throw new Error('returningRows must run inside a transaction');
  return ((await runner.query(sql, params, true)) as { records: T[] }).records;
}
