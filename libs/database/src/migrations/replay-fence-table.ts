import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../data-source';
import { replayFenceTableSql } from '../replay-fence';
import { schemaOfRunner } from './platform-tables';

/** The replay fence table (libs/database replay-fence.ts), for services whose projections a replay rebuilds. */
export class ReplayFenceTable1766000000000 implements MigrationInterface {
  name = 'ReplayFenceTable1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of replayFenceTableSql(schemaOfRunner(queryRunner))) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${quoteIdent(schemaOfRunner(queryRunner))}.replay_fences`);
  }
}
