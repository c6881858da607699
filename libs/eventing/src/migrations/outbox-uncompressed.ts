import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { schemaOfRunner } from './platform-tables';

/**
 * Outbox rows up to a page (8160 bytes) are stored as they are. By default Postgres compresses a
 * row's long values once the row passes about 2 kB, and a user-sources fact (both touches, their
 * URLs and referrers) is about 2.1 kB of JSON: every one was compressed on insert and
 * decompressed by the relay's read, for a row deleted a moment later. Larger rows are still
 * compressed and moved out of line as before (docs/benchmarks-attribution.md).
 */
export class OutboxUncompressed1768000000000 implements MigrationInterface {
  name = 'OutboxUncompressed1768000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = `${quoteIdent(schemaOfRunner(queryRunner))}.outbox`;
    await queryRunner.query(`ALTER TABLE ${table} SET (toast_tuple_target = 8160)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = `${quoteIdent(schemaOfRunner(queryRunner))}.outbox`;
    await queryRunner.query(`ALTER TABLE ${table} RESET (toast_tuple_target)`);
  }
}
