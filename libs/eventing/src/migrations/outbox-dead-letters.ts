import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { schemaOfRunner } from './platform-tables';

/**
 * Outbox rows the broker refused (a record over its message.max.bytes, or failing its
 * validation) are moved here by the relay, with the broker's reason, instead of blocking every
 * later row behind them forever. They keep the payload: the dead-letter record on Kafka only
 * points here, since a record the broker refused as too large cannot be published there either.
 */
export class OutboxDeadLetters1767000000000 implements MigrationInterface {
  name = 'OutboxDeadLetters1767000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    await queryRunner.query(`CREATE TABLE ${schema}.outbox_dead_letters (
      seq bigint PRIMARY KEY,
      event_id text NOT NULL,
      topic text NOT NULL,
      message_key text,
      payload json NOT NULL,
      headers jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      reason text NOT NULL,
      dead_lettered_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${quoteIdent(schemaOfRunner(queryRunner))}.outbox_dead_letters`);
  }
}
