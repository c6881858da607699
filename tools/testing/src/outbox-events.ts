import { decodeOutboxRow, quoteIdent, rowFields, type OutboxEvent, type StoredOutboxRow } from '@touchstream/database';

/** Every event in a schema's outbox (sent and kept, or pending), in commit order. */
export async function readOutboxEvents(
  query: (sql: string) => Promise<StoredOutboxRow[]>,
  schema: string,
): Promise<Array<OutboxEvent & { seq: string; sent: boolean }>> {
  const rows = await query(
    `SELECT o.seq::text AS seq, o.event_count, o.events, o.payloads, o.created_at, o.sent_at IS NOT NULL AS sent
     FROM ${quoteIdent(schema)}.outbox AS o ORDER BY o.seq`,
  );
  return rows.flatMap((row) => decodeOutboxRow(rowFields(row)).map((event) => ({ ...event, seq: row.seq, sent: row.sent })));
}
