import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { schemaOfRunner } from './platform-tables';

/**
 * One outbox row per appendToOutbox call (a transaction's events) instead of one per event: the
 * row keeps the events' ids, topics, keys and headers as a JSON array (`events`) and their
 * payloads one per line (`payloads`, see outbox-batch.ts). The rows already there become rows of
 * one event each, so nothing pending is lost across the upgrade. A batch row is large (a
 * 1,400-message attribution batch writes ~1 MB), and Postgres's default compression (pglz) took
 * 12 ms to store an 800 kB row of facts, lz4 4-5 ms, storing it uncompressed 5-6.5 ms (3.7 times
 * the size). So `payloads` uses lz4 where the server has it, else is stored uncompressed: some
 * builds lack lz4 (the embedded PostgreSQL `npm start` falls back to does). Dead letters are now
 * per event: (seq, event_index).
 * Reason and figures: docs/decisions/0010-outbox-rows-per-transaction.md.
 */
export class OutboxBatches1769000000000 implements MigrationInterface {
  name = 'OutboxBatches1769000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    const table = `${schema}.outbox`;
    await queryRunner.query(`ALTER TABLE ${table} ADD COLUMN event_count integer NOT NULL DEFAULT 1, ADD COLUMN events text`);
    await queryRunner.query(`UPDATE ${table} SET events = json_build_array(json_build_array(event_id, topic, message_key, headers))::text`);
    await queryRunner.query(
      `ALTER TABLE ${table} ALTER COLUMN events SET NOT NULL, ALTER COLUMN event_count DROP DEFAULT,
         DROP COLUMN event_id, DROP COLUMN topic, DROP COLUMN message_key, DROP COLUMN headers,
         ALTER COLUMN payload TYPE text`,
    );
    const [server] = (await queryRunner.query(
      `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
    )) as Array<{ lz4: boolean }>;
    const storage = server?.lz4 ? 'SET COMPRESSION lz4' : 'SET STORAGE EXTERNAL';
    await queryRunner.query(`ALTER TABLE ${table} ALTER COLUMN payload ${storage}`);
    await queryRunner.query(`ALTER TABLE ${table} RENAME COLUMN payload TO payloads`);
    await queryRunner.query(`ALTER TABLE ${table} RESET (toast_tuple_target)`);
    const deadLetters = `${schema}.outbox_dead_letters`;
    await queryRunner.query(`ALTER TABLE ${deadLetters} ADD COLUMN event_index integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE ${deadLetters} DROP CONSTRAINT outbox_dead_letters_pkey, ADD PRIMARY KEY (seq, event_index)`);
  }

  /** Back to a row per event: only rows of one event can go back; drain the outbox first. */
  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    const table = `${schema}.outbox`;
    const deadLetters = `${schema}.outbox_dead_letters`;
    const [blocking] = (await queryRunner.query(
      `SELECT (SELECT count(*) FROM ${table} WHERE event_count > 1 AND sent_at IS NULL)::int AS pending,
              (SELECT count(*) FROM ${deadLetters} WHERE event_index > 0)::int AS dead_letters`,
    )) as Array<{ pending: number; dead_letters: number }>;
    if (blocking && (blocking.pending > 0 || blocking.dead_letters > 0)) {
      throw new Error(
        `cannot go back to a row per event: ${blocking.pending} unpublished outbox rows hold several events (let the relay ` +
          `publish them) and ${blocking.dead_letters} dead letters share a row's seq (move them out of outbox_dead_letters)`,
      );
    }
    // Rows of several events left are published ones kept for inspection (OUTBOX_KEEP_SENT_MINUTES).
    await queryRunner.query(`DELETE FROM ${table} WHERE event_count > 1`);
    await queryRunner.query(`ALTER TABLE ${table} RENAME COLUMN payloads TO payload`);
    await queryRunner.query(
      `ALTER TABLE ${table} ADD COLUMN event_id text, ADD COLUMN topic text, ADD COLUMN message_key text,
         ADD COLUMN headers jsonb NOT NULL DEFAULT '{}'::jsonb, ALTER COLUMN payload SET COMPRESSION default,
         ALTER COLUMN payload SET STORAGE EXTENDED`,
    );
    await queryRunner.query(
      `UPDATE ${table} SET event_id = events::json->0->>0, topic = events::json->0->>1, message_key = events::json->0->>2,
         headers = (events::json->0->3)::jsonb`,
    );
    await queryRunner.query(
      `ALTER TABLE ${table} ALTER COLUMN event_id SET NOT NULL, ALTER COLUMN topic SET NOT NULL,
         ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id), ALTER COLUMN payload TYPE json USING payload::json,
         DROP COLUMN events, DROP COLUMN event_count`,
    );
    await queryRunner.query(`ALTER TABLE ${table} SET (toast_tuple_target = 8160)`);
    await queryRunner.query(
      `ALTER TABLE ${deadLetters} DROP CONSTRAINT outbox_dead_letters_pkey, DROP COLUMN event_index, ADD PRIMARY KEY (seq)`,
    );
  }
}
