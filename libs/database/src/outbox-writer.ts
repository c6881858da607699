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
 * Appends events to the outbox inside the caller's transaction, in one statement, so they are
 * published if and only if the effect commits. Returns how many rows were new.
 *
 * The rows travel as one JSON document (json_to_recordset) rather than one array parameter per
 * column: a jsonb[] parameter made the driver escape every payload character by character and
 * Postgres parse an array literal and then each element, which cost more than the insert itself.
 * As json (not jsonb) each payload keeps the exact text JSON.stringify gave it, which the relay
 * publishes unchanged (docs/benchmarks-attribution.md, round 4). Rows keep their order, so seq
 * follows it.
 */
export async function appendToOutbox(transaction: EntityManager, schema: string, rows: readonly OutboxRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const runner = transaction.queryRunner;
  if (!runner) throw new Error('appendToOutbox must run inside a transaction');
  const document = JSON.stringify(
    rows.map((row) => ({
      event_id: row.eventId,
      topic: row.topic,
      message_key: row.key,
      payload: row.payload,
      headers: row.headers ?? {},
    })),
  );
  const result = (await runner.query(
    `INSERT INTO ${quoteIdent(schema)}.outbox (event_id, topic, message_key, payload, headers)
     SELECT * FROM json_to_recordset($1::json) AS r(event_id text, topic text, message_key text, payload json, headers jsonb)
     ON CONFLICT (event_id) DO NOTHING`,
    [document],
    // The structured result carries the affected row count (the plain one is only the rows).
    true,
  )) as { affected?: number };
  return result.affected ?? 0;
}
