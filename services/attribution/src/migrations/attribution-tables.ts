import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { schemaOfRunner } from '@touchstream/eventing';

/**
 * The attribution state. Visitors are keyed "a:<anonymousId>" or "u:<userId>" (a userId-only
 * event); subjects by (type, id).
 * - page_views: every page view's minimal facts, re-read per visitor to re-derive sessions and
 *   touches when late data arrives; url/referrer/campaign to classify a view that becomes a touch later.
 * - touches: every touch's latest revision (withdrawn ones included), its owner and its details.
 * - links: the local projection of identity.links.v1 (earliest sighting per pair).
 * - subjects: the last published user-sources version per subject and what it said.
 */
export class AttributionTables1764900000000 implements MigrationInterface {
  name = 'AttributionTables1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    const statements = [
      `CREATE TABLE ${schema}.page_views (
        message_id text PRIMARY KEY,
        visitor text NOT NULL,
        occurred_at timestamptz NOT NULL,
        internal boolean NOT NULL,
        signature text,
        channel text,
        url text,
        referrer text,
        campaign jsonb
      )`,
      `CREATE INDEX page_views_by_visitor ON ${schema}.page_views (visitor, occurred_at)`,
      `CREATE TABLE ${schema}.touches (
        touch_id uuid PRIMARY KEY,
        visitor text NOT NULL,
        message_id text NOT NULL,
        session_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        channel text NOT NULL,
        user_id text,
        status text NOT NULL CHECK (status IN ('recorded', 'withdrawn')),
        revision integer NOT NULL CHECK (revision > 0),
        url text,
        referrer text,
        source jsonb NOT NULL
      )`,
      `CREATE INDEX touches_by_visitor ON ${schema}.touches (visitor)`,
      `CREATE INDEX touches_by_user ON ${schema}.touches (user_id) WHERE status = 'recorded' AND user_id IS NOT NULL`,
      `CREATE TABLE ${schema}.links (
        anonymous_id text NOT NULL,
        user_id text NOT NULL,
        first_seen_at timestamptz NOT NULL,
        revision integer NOT NULL,
        PRIMARY KEY (anonymous_id, user_id)
      )`,
      `CREATE INDEX links_by_user ON ${schema}.links (user_id)`,
      `CREATE TABLE ${schema}.subjects (
        subject_type text NOT NULL CHECK (subject_type IN ('user', 'anonymous')),
        subject_id text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        fingerprint text NOT NULL,
        first_touch_id uuid,
        last_touch_id uuid,
        touch_count integer NOT NULL,
        PRIMARY KEY (subject_type, subject_id)
      )`,
    ];
    for (const sql of statements) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    for (const table of ['subjects', 'links', 'touches', 'page_views']) await queryRunner.query(`DROP TABLE ${schema}.${table}`);
  }
}
