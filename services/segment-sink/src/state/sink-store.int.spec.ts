import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import type { UserSources } from '@touchstream/contracts';
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
    await store.storeFacts(ids.map((id) => fact(id, 1)));
    const rounds = 12;
    const work: Array<Promise<void>> = [];
    for (let round = 2; round < 2 + rounds; round++) {
      const version = round;
      work.push(store.storeFacts([...ids].reverse().map((id) => fact(id, version))));
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
});
