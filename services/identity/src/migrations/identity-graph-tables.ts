import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { schemaOfRunner } from '@touchstream/eventing';

/**
 * The identity graph. Every table merges with an order-independent rule (libs/identity-graph):
 * links keep the earliest sighting per pair, seen_ids widen a first/last window, traits keep
 * the latest (observed_at, message_id) per key, timeline keeps one row per messageId.
 * message_id compares in the "C" collation so ties break the way the domain code breaks them.
 * seen_ids and traits leave room in their pages (fillfactor) so their in-place updates stay HOT.
 */
export class IdentityGraphTables1764400000000 implements MigrationInterface {
  name = 'IdentityGraphTables1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    const statements = [
      `CREATE TABLE ${schema}.links (
        anonymous_id text NOT NULL,
        user_id text NOT NULL,
        first_seen_at timestamptz NOT NULL,
        via text NOT NULL CHECK (via IN ('identify', 'event', 'alias')),
        message_id text COLLATE "C" NOT NULL,
        revision integer NOT NULL CHECK (revision > 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (anonymous_id, user_id)
      )`,
      `CREATE INDEX links_by_user ON ${schema}.links (user_id)`,
      `CREATE TABLE ${schema}.seen_ids (
        kind text NOT NULL CHECK (kind IN ('anonymous', 'user')),
        id text NOT NULL,
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        PRIMARY KEY (kind, id)
      ) WITH (fillfactor = 80)`,
      `CREATE TABLE ${schema}.traits (
        user_id text NOT NULL,
        key text NOT NULL,
        value jsonb NOT NULL,
        observed_at timestamptz NOT NULL,
        message_id text COLLATE "C" NOT NULL,
        PRIMARY KEY (user_id, key)
      ) WITH (fillfactor = 80)`,
      `CREATE TABLE ${schema}.timeline (
        message_id text COLLATE "C" PRIMARY KEY,
        anonymous_id text,
        user_id text,
        type text NOT NULL,
        name text,
        ts timestamptz NOT NULL,
        url text,
        referrer text
      )`,
      `CREATE INDEX timeline_by_anonymous ON ${schema}.timeline (anonymous_id, ts DESC, message_id DESC) WHERE anonymous_id IS NOT NULL`,
      `CREATE INDEX timeline_by_user ON ${schema}.timeline (user_id, ts DESC, message_id DESC) WHERE user_id IS NOT NULL`,
      // Only the retention purge scans by time: a BRIN index costs almost nothing to maintain.
      `CREATE INDEX timeline_by_time ON ${schema}.timeline USING brin (ts)`,
      // Conflicts are derived, never stored twice: an anonymousId met by more than one userId.
      `CREATE VIEW ${schema}.conflicts AS
        SELECT anonymous_id,
               count(*)::int AS user_count,
               array_agg(user_id ORDER BY first_seen_at, user_id) AS user_ids,
               array_agg(first_seen_at ORDER BY first_seen_at, user_id) AS first_seen_ats
        FROM ${schema}.links GROUP BY anonymous_id HAVING count(*) > 1`,
    ];
    for (const sql of statements) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = quoteIdent(schemaOfRunner(queryRunner));
    await queryRunner.query(`DROP VIEW ${schema}.conflicts`);
    for (const table of ['timeline', 'traits', 'seen_ids', 'links']) await queryRunner.query(`DROP TABLE ${schema}.${table}`);
  }
}
