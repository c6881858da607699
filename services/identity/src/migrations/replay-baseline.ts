import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { schemaOfRunner } from '@touchstream/eventing';

/**
 * What the identity service had published when a replay from earliest began (its links, with
 * their revisions): kept while the projection is rebuilt, compared with the rebuilt links when it
 * has caught up, then emptied (docs/decisions/0009-replay.md).
 */
export class IdentityReplayBaseline1766100000000 implements MigrationInterface {
  name = 'IdentityReplayBaseline1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    await queryRunner.query(`CREATE TABLE ${schema}.replay_baseline_links (
      anonymous_id text NOT NULL,
      user_id text NOT NULL,
      first_seen_at timestamptz NOT NULL,
      via text NOT NULL,
      message_id text COLLATE "C" NOT NULL,
      revision integer NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (anonymous_id, user_id)
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${quoteIdent(schemaOfRunner(queryRunner))}.replay_baseline_links`);
  }
}
