import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { replayFenceTableSql } from '../replay/replay-fence';
import { schemaOfRunner } from './platform-tables';

/** The replay fence table (replay/replay-fence.ts), for services whose projections a replay rebuilds. */
export class ReplayFenceTable1766000000000 implements MigrationInterface {
  name = 'ReplayFenceTable1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of replayFenceTableSql(schemaOfRunner(queryRunner))) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${quoteIdent(schemaOfRunner(queryRunner))}.replay_fences`);
  }
}
