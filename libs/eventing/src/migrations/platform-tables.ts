import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { consumerPositionsTableSql, outboxTableSql } from '../outbox/outbox';

export function schemaOfRunner(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('migrations need a DataSource with a schema');
  return schema;
}

/** The outbox and consumed-position tables, first migration of every service with a schema. */
export class PlatformTables1764370000000 implements MigrationInterface {
  name = 'PlatformTables1764370000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = schemaOfRunner(queryRunner);
    for (const sql of [...outboxTableSql(schema), ...consumerPositionsTableSql(schema)]) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    await queryRunner.query(`DROP TABLE ${schema}.consumer_positions`);
    await queryRunner.query(`DROP TABLE ${schema}.outbox`);
  }
}
