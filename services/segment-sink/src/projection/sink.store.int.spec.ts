import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { USER_SOURCES_TYPE, type UserSources } from '@touchstream/contracts';
import { createDataSource, migrate } from '@touchstream/database';
import { subjectKey } from '@touchstream/segment-delivery';
import { dropSchema, testInfrastructure, testNamespace } from '@touchstream/testing';
import { segmentSinkMigrations } from '../migrations';
import { SinkStore, type IdentifyMarkRow } from './sink.store';

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
    const work: Array<Promise<unknown>> = [];
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

  it('answers how many subjects a write of identify marks applied, and how many had no fact row', async () => {
    const mark = (subjectId: string, version: number): IdentifyMarkRow => ({
      subjectType: 'user',
      subjectId,
      version,
      traitsHash: `hash-${version}`,
      outcome: 'delivered',
    });
    await store.storeFacts([{ fact: fact('mark-stored', 1) }, { fact: fact('mark-handled', 2) }]);
    expect(await store.markIdentifies([mark('mark-handled', 2)])).toEqual({ applied: 1, noRow: 0 });

    // One subject with a row, one without (two marks for it: one subject), and an older version
    // of a subject whose newer one is handled already (skipped on purpose: not lost).
    const written = await store.markIdentifies([
      mark('mark-stored', 1),
      mark('mark-missing', 1),
      mark('mark-missing', 2),
      mark('mark-handled', 1),
    ]);
    expect(written).toEqual({ applied: 1, noRow: 1 });
    const states = await store.factStates(
      ['mark-stored', 'mark-handled', 'mark-missing'].map((subjectId) => ({ subjectType: 'user', subjectId })),
    );
    expect(states.get(subjectKey('user', 'mark-stored'))?.handledVersion).toBe(1);
    expect(states.get(subjectKey('user', 'mark-handled'))?.handledVersion).toBe(2);
    expect(states.has(subjectKey('user', 'mark-missing'))).toBe(false);

    // The same version again is skipped too; the row missing is still the only loss.
    expect(await store.markIdentifies([mark('mark-stored', 1), mark('mark-missing', 1)])).toEqual({ applied: 0, noRow: 1 });
  });
});
