import type { EntityManager } from 'typeorm';
import { quoteIdent } from './data-source';
import { encodeOutboxRow, type OutboxRow } from './outbox-batch';

/**
 * Appends events to the outbox inside the caller's transaction, so they are published if and
 * only if the effect commits. Returns how many events were appended.
 *
 * One call writes one row holding all its events (encodeOutboxRow), not a row per event: a row
 * per event cost Postgres an insert into the heap and three indexes, a read and a delete each,
 * which was about half of what the attribution service's facts cost
 * (docs/benchmarks-attribution.md). A repeated event is not filtered here: consumed positions
 * stored with the effect keep a batch from being applied twice, and consumers recognise a re-published event by its
 * deterministic id (docs/decisions/0005-kafka-and-delivery.md).
 */
export async function appendToOutbox(transaction: EntityManager, schema: string, rows: readonly OutboxRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const runner = transaction.queryRunner;
  if (!runner) throw new Error('appendToOutbox must run inside a transaction');
  const row = encodeOutboxRow(rows);
  await runner.query(`INSERT INTO ${quoteIdent(schema)}.outbox (event_count, events, payloads) VALUES ($1, $2, $3)`, [
    row.eventCount,
    row.events,
    row.payloads,
  ]);
  return row.eventCount;
}
