import type { EntityManager } from 'typeorm';
import { quoteIdent } from './data-source';

export interface OutboxRow {
  /** Deterministic: a second write of the same event is ignored (ON CONFLICT DO NOTHING). */
  eventId: string;
  /** The full topic name, prefix included. */
  topic: string;
  key: string | null;
  payload: unknown;
  headers?: Record<string, string>;
}

/**
 * Appends events to the outbox inside the caller's transaction, in one statement (unnest), so
 * they are published if and only if the effect commits. Returns how many rows were new.
 */
export async function appendToOutbox(transaction: EntityManager, schema: string, rows: readonly OutboxRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const runner = transaction.queryRunner;
  if (!runner) throw new Error('appendToOutbox must run inside a transaction');
  const result = (await runner.query(
    `INSERT INTO ${quoteIdent(schema)}.outbox (event_id, topic, message_key, payload, headers)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[])
     ON CONFLICT (event_id) DO NOTHING`,
    [
      rows.map((row) => row.eventId),
      rows.map((row) => row.topic),
      rows.map((row) => row.key),
      rows.map((row) => JSON.stringify(row.payload)),
      rows.map((row) => JSON.stringify(row.headers ?? {})),
    ],
    // The structured result carries the affected row count (the plain one is only the rows).
    true,
  )) as { affected?: number };
  return result.affected ?? 0;
}
