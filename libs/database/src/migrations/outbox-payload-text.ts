import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../data-source';
import { schemaOfRunner } from './platform-tables';

/**
 * The outbox keeps each payload as the text it was written with (json, not jsonb). The relay
 * publishes that text as it is: with jsonb, Postgres parsed every payload into its binary form on
 * insert and printed it back on every relay read, and the published bytes were jsonb's rendering
 * (reordered keys, added spaces) rather than the envelope as serialised. Nothing queries inside a
 * payload, so the binary form bought nothing (docs/benchmarks-attribution.md).
 */
export class OutboxPayloadText1766200000000 implements MigrationInterface {
  name = 'OutboxPayloadText1766200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = `${quoteIdent(schemaOfRunner(queryRunner))}.outbox`;
    await queryRunner.query(`ALTER TABLE ${table} ALTER COLUMN payload TYPE json USING payload::json`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = `${quoteIdent(schemaOfRunner(queryRunner))}.outbox`;
    await queryRunner.query(`ALTER TABLE ${table} ALTER COLUMN payload TYPE jsonb USING payload::jsonb`);
  }
}
