import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { schemaOfRunner } from '@touchstream/eventing';

/**
 * What the attribution service had published when a replay from earliest began: every touch's
 * last published revision and what it said, and every subject's last published version and its
 * fingerprint. Kept while the projection is rebuilt, compared with the rebuilt state when it has
 * caught up, then emptied (docs/decisions/0009-replay.md). Same columns as `touches` and `subjects`.
 */
export class AttributionReplayBaseline1766100000000 implements MigrationInterface {
  name = 'AttributionReplayBaseline1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    await queryRunner.query(`CREATE TABLE ${schema}.replay_baseline_touches (
      touch_id uuid PRIMARY KEY,
      visitor text NOT NULL,
      message_id text NOT NULL,
      session_id uuid NOT NULL,
      occurred_at timestamptz NOT NULL,
      channel text NOT NULL,
      user_id text,
      status text NOT NULL,
      revision integer NOT NULL,
      url text,
      referrer text,
      source jsonb NOT NULL
    )`);
    await queryRunner.query(`CREATE TABLE ${schema}.replay_baseline_subjects (
      subject_type text NOT NULL,
      subject_id text NOT NULL,
      version integer NOT NULL,
      fingerprint text NOT NULL,
      first_touch_id uuid,
      last_touch_id uuid,
      touch_count integer NOT NULL,
      PRIMARY KEY (subject_type, subject_id)
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    await queryRunner.query(`DROP TABLE ${schema}.replay_baseline_subjects`);
    await queryRunner.query(`DROP TABLE ${schema}.replay_baseline_touches`);
  }
}
