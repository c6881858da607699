import type { Pool } from 'pg';

/**
 * How many messages a consumer group has applied: the sum of its stored next offsets in the
 * schema's consumer_positions. On the fresh topics a test makes, that is every message it applied.
 */
export async function appliedMessages(pool: Pool, schema: string, group: string): Promise<number> {
  const result = await pool.query<{ applied: string | null }>(
    `SELECT sum(next_offset)::text AS applied FROM "${schema}".consumer_positions WHERE consumer_group = $1`,
    [group],
  );
  return Number(result.rows[0]?.applied ?? 0);
}
