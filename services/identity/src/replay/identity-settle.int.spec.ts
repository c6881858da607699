import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityLinkId, identityLinkSchema } from '@touchstream/contracts';
import { createDataSource, migrate } from '@touchstream/database';
import { dropSchema, readOutboxEvents, testInfrastructure, testNamespace } from '@touchstream/testing';
import { identityMigrations } from '../migrations';
import { IdentityRebuiltProjection } from './identity-rebuild';

type Row = [anonymousId: string, userId: string, firstSeenAt: string, messageId: string, revision: number];

/**
 * The settle step on its own, on the real Postgres: a baseline (what was published) against a
 * rebuilt links table, one pair per case of the live rule.
 */
describe('settling rebuilt identity links against the published ones', () => {
  const { schema } = testNamespace('identity-settle');
  const dataSource = createDataSource({ url: testInfrastructure().databaseUrl, schema, poolSize: 2 }, identityMigrations);
  const at = new Date('2026-05-01T12:00:00.000Z');

  const insert = async (table: 'links' | 'replay_baseline_links', rows: Row[]) => {
    for (const [anonymousId, userId, firstSeenAt, messageId, revision] of rows) {
      await dataSource.query(
        `INSERT INTO "${schema}".${table} (anonymous_id, user_id, first_seen_at, via, message_id, revision, updated_at)
         VALUES ($1, $2, $3, 'identify', $4, $5, '2026-04-01T00:00:00Z')`,
        [anonymousId, userId, firstSeenAt, messageId, revision],
      );
    }
  };

  beforeAll(async () => {
    await dataSource.initialize();
    await migrate(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropSchema(testInfrastructure().databaseUrl, schema);
  });

  it('keeps what was published, publishes earlier and new sightings with the next revision, and empties the baseline', async () => {
    await insert('replay_baseline_links', [
      ['same', 'u', '2026-03-01T10:00:00Z', 'm-same', 2],
      ['earlier', 'u', '2026-03-05T10:00:00Z', 'm-late', 1],
      ['later', 'u', '2026-03-01T10:00:00Z', 'm-first', 3],
      ['gone', 'u', '2026-03-01T10:00:00Z', 'm-gone', 1],
    ]);
    await insert('links', [
      // Rebuilt with other batch boundaries: same sighting, another provisional revision.
      ['same', 'u', '2026-03-01T10:00:00Z', 'm-same', 5],
      ['earlier', 'u', '2026-03-02T10:00:00Z', 'm-early', 1],
      // The first sighting's event is past the raw topic's retention.
      ['later', 'u', '2026-03-04T10:00:00Z', 'm-second', 1],
      ['new', 'u', '2026-03-03T10:00:00Z', 'm-new', 4],
    ]);
    const projection = new IdentityRebuiltProjection(schema, 'links-topic');
    const published = await dataSource.transaction((transaction) => projection.settle(transaction, { replayId: 'replay-1', at }));

    expect(published).toBe(2);
    const links = await dataSource.query(
      `SELECT anonymous_id, first_seen_at, message_id, revision, updated_at = '2026-04-01T00:00:00Z' AS kept
       FROM "${schema}".links ORDER BY anonymous_id`,
    );
    expect(links).toEqual([
      { anonymous_id: 'earlier', first_seen_at: new Date('2026-03-02T10:00:00Z'), message_id: 'm-early', revision: 2, kept: false },
      { anonymous_id: 'gone', first_seen_at: new Date('2026-03-01T10:00:00Z'), message_id: 'm-gone', revision: 1, kept: true },
      { anonymous_id: 'later', first_seen_at: new Date('2026-03-01T10:00:00Z'), message_id: 'm-first', revision: 3, kept: true },
      { anonymous_id: 'new', first_seen_at: new Date('2026-03-03T10:00:00Z'), message_id: 'm-new', revision: 1, kept: false },
      { anonymous_id: 'same', first_seen_at: new Date('2026-03-01T10:00:00Z'), message_id: 'm-same', revision: 2, kept: true },
    ]);
    const outbox = await readOutboxEvents((sql) => dataSource.query(sql), schema);
    expect(outbox.map((row) => row.eventId).sort()).toEqual([identityLinkId('earlier', 'u', 2), identityLinkId('new', 'u', 1)].sort());
    for (const row of outbox) {
      const event = identityLinkSchema.parse(JSON.parse(row.payload));
      expect(row).toMatchObject({ topic: 'links-topic', key: event.data.anonymousId });
      expect(event).toMatchObject({ source: 'replay', correlationId: 'replay-1', causationId: 'replay-1', recordedAt: at.toISOString() });
    }
    expect(await dataSource.query(`SELECT * FROM "${schema}".replay_baseline_links`)).toEqual([]);
  });
});
