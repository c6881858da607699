import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { schemaOfRunner } from '@touchstream/eventing';

/**
 * The sink's own state (docs/decisions/0008-segment-sink.md):
 * - subject_facts: the newest user-sources fact per subject, for the re-send endpoints and the
 *   backfill flush, with the newest version handled (delivered, dead-lettered or found unchanged)
 *   and the hash of the traits last delivered, so stale and unchanged versions are not re-sent;
 * - tracked_touches: the touches whose track was handled (delivered or dead-lettered), so a
 *   redelivered touch, or a revision re-published days later (past Segment's dedupe window), is
 *   tracked once. Touches themselves are not stored: the attribution service owns them.
 */
export class SinkState1765100000000 implements MigrationInterface {
  name = 'SinkState1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    await queryRunner.query(`CREATE TABLE ${schema}.subject_facts (
      subject_type text NOT NULL,
      subject_id text NOT NULL,
      version integer NOT NULL,
      fact jsonb NOT NULL,
      handled_version integer NOT NULL DEFAULT 0,
      handled_traits_hash text,
      handled_outcome text,
      handled_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (subject_type, subject_id)
    )`);
    await queryRunner.query(
      `CREATE INDEX subject_facts_pending ON ${schema}.subject_facts (subject_type, subject_id) WHERE version > handled_version`,
    );
    await queryRunner.query(`CREATE TABLE ${schema}.tracked_touches (
      touch_id text PRIMARY KEY,
      outcome text NOT NULL,
      handled_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    await queryRunner.query(`DROP TABLE ${schema}.tracked_touches`);
    await queryRunner.query(`DROP TABLE ${schema}.subject_facts`);
  }
}
