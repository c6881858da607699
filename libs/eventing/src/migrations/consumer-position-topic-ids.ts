import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { schemaOfRunner } from './platform-tables';

/**
 * The Kafka topic id each stored position was applied under (NULL for positions stored before,
 * and when the broker could not tell): a position is only valid for the incarnation of its topic
 * it was read from. applyOncePerOffset compares it with the topic id of each batch
 * (docs/decisions/0015-consumer-position-incarnations.md).
 */
export class ConsumerPositionTopicIds1770100000000 implements MigrationInterface {
  name = 'ConsumerPositionTopicIds1770100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE ${quoteIdent(schemaOfRunner(queryRunner))}.consumer_positions ADD COLUMN topic_id text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE ${quoteIdent(schemaOfRunner(queryRunner))}.consumer_positions DROP COLUMN topic_id`);
  }
}
