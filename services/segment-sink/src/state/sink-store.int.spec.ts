import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { USER_SOURCES_TYPE, type UserSources } from '@touchstream/contracts';
import { createDataSource, migrate } from '@touchstream/database';
import { dropSchema, testInfrastructure, testNamespace } from '@touchstream/testing';
import { segmentSinkMigrations } from '../migrations';
import { SinkStore, type IdentifyMarkRow } from './sink-store';

/** Only what the store reads of a fact (its subject and version); the rest is kept as it is. */
const fact = (subjectId: string, version: number) =>
  ({ id: `${subjectId}-v${version}`, data: { subjectType: 'user', subjectId, version } }) as unknown as UserSources;

describe('SinkStore on the real Postgres', () => {
  const { schema } = testNamespace('sink-store');
  let dataSource: DataSource;
  let store: SinkStore;

  beforeAll(async () => {
    dataSource = createDataSource({ url: testInfrastructure().databaseUrl, schema, poolSize: 8 }, segmentSinkMigrations);
    await dataSource.initialize();
    await migrate(dataSource);
    store = new SinkStore(dataSource, schema);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropSchema(testInfrastructure().databaseUrl, schema);
  });

  it('stores facts and marks them handled concurrently, over the same subjects in opposite orders, without deadlocking', async () => {
    // The consumer stores each partition's facts while the mark writer records deliveries of
    // earlier ones: the same rows, each statement taking them in its own input order.
    const ids = Array.from({ length: 400 }, (_, n) => `user-${String(n).padStart(4, '0')}`);
    await store.storeFacts(ids.map((id) => ({ fact: fact(id, 1) })));
    const rounds = 12;
    const work: Array<Promise<void>> = [];
    for (let round = 2; round < 2 + rounds; round++) {
      const version = round;
      work.push(store.storeFacts([...ids].reverse().map((id) => ({ fact: fact(id, version) }))));
      const marks: IdentifyMarkRow[] = ids.map((id) => ({
        subjectType: 'user',
        subjectId: id,
        version: version - 1,
        traitsHash: `hash-${version - 1}`,
        outcome: 'delivered',
      }));
      work.push(store.markIdentifies(round % 2 === 0 ? marks : [...marks].reverse()));
    }
    const outcomes = await Promise.allSettled(work);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => String(outcome.reason))).toEqual([]);
    const states = await store.factStates(ids.map((id) => ({ subjectType: 'user', subjectId: id })));
    expect(new Set([...states.values()].map((state) => state.storedVersion))).toEqual(new Set([rounds + 1]));
  });

  it('keeps a fact as the bytes that arrived and reads it back through the contract (defaults applied)', async () => {
    // A fact published before `userIds` existed: the contract defaults it to [].
    const published = {
      id: 'fact-raw-1',
      type: USER_SOURCES_TYPE,
      occurredAt: '2026-01-02T03:04:05.000Z',
      recordedAt: '2026-01-02T03:04:06.000Z',
      correlationId: 'c-1',
      causationId: null,
      source: 'import',
      data: {
        subjectType: 'user',
        subjectId: 'raw-user',
        version: 3,
        firstTouch: null,
        lastTouch: null,
        lastTouchModel: 'last-non-direct',
        touchCount: 0,
      },
      extra: 'kept as it arrived',
    };
    const raw = Buffer.from(JSON.stringify(published));
    await store.storeFacts([{ fact: { ...published, data: { ...published.data, userIds: [] } } as unknown as UserSources, raw }]);
    const [row] = await dataSource.query<Array<{ fact: Record<string, unknown> }>>(
      `SELECT fact FROM "${schema}".subject_facts WHERE subject_id = 'raw-user'`,
    );
    expect(row?.fact).toEqual(published);
    const read = await store.factOf('user', 'raw-user');
    expect(read?.data.userIds).toEqual([]);
    expect(read?.data.version).toBe(3);
  });
});
