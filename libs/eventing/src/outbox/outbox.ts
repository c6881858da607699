import { quoteIdent } from '@touchstream/database';

/**
 * The transactional outbox shared by every service that emits events: rows are written in the
 * same transaction as the effect, and a relay publishes them and marks them sent. This is the
 * DDL each service's first migration applies in its own schema.
 */
export function outboxTableSql(schema: string): string[] {
  const table = `${quoteIdent(schema)}.outbox`;
  return [
    `CREATE TABLE ${table} (
      seq bigserial PRIMARY KEY,
      event_id text NOT NULL UNIQUE,
      topic text NOT NULL,
      message_key text,
      payload jsonb NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    )`,
    `CREATE INDEX outbox_unsent ON ${table} (seq) WHERE sent_at IS NULL`,
  ];
}

/**
 * Consumed positions stored with the effect: on redelivery a handler skips offsets at or below
 * the stored one, so an effect is applied once even when Kafka's commit was lost.
 */
export function consumerPositionsTableSql(schema: string): string[] {
  return [
    `CREATE TABLE ${quoteIdent(schema)}.consumer_positions (
      consumer_group text NOT NULL,
      topic text NOT NULL,
      partition integer NOT NULL,
      next_offset bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer_group, topic, partition)
    )`,
  ];
}
