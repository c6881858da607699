import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, TOPICS, type UserSources } from '@touchstream/contracts';
import { identifyMessageId } from '@touchstream/segment-delivery';
import { dropSchema, testInfrastructure, testNamespace, waitFor } from '@touchstream/testing';
import { facts, startSink, TestTopics, touchData, type RunningSink } from './testing/harness';

describe('segment-sink: a fact its store refuses, in a batch with good ones', () => {
  const namespace = testNamespace('sink-poison');
  const topics = new TestTopics(namespace);
  let sink: RunningSink;

  beforeAll(async () => {
    await topics.start();
    sink = await startSink(namespace);
  });

  afterAll(async () => {
    await sink?.close();
    await topics.stop();
    await dropSchema(testInfrastructure().databaseUrl, namespace.schema);
  });

  it('dead-letters the fact Postgres refuses (a NUL in its subject id) with its reason, and delivers and stores the rest', async () => {
    const touch = (id: string) => touchData({ touchId: id, userId: id.replace('touch', 'user') });
    const good = [1, 2, 3, 4, 5, 6].map((n) => facts(`poison-batch-user-${n}`, 1, touch(`touch-${n}`), touch(`touch-${n}`)));
    const poison = facts('poison-batch-user-\u0000nul', 1, touch('touch-nul'), touch('touch-nul'));
    // One key: one partition, one batch.
    await topics.publishFacts(
      [good[0], good[1], good[2], poison, good[3], good[4], good[5]].filter((fact) => fact !== undefined),
      'one-key',
    );

    const [letter] = await topics.deadLetters(sink.env.SINK_CONSUMER_GROUP as string, 1);
    expect(letter?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^Postgres refused the record: SQLSTATE 22\w{3}/);
    expect((JSON.parse(letter?.value?.toString('utf8') ?? 'null') as UserSources).data.subjectId).toBe(poison.subjectId);
    const expected = good.map((fact) => identifyMessageId('user', fact.subjectId, 1));
    await waitFor(() => expected.every((id) => sink.receiver.acceptedMessageIds().includes(id)), {
      description: 'the good facts delivered',
    });
    await waitFor(
      async () => {
        const lag = await topics.runtime.lag(sink.env.SINK_CONSUMER_GROUP as string, [topics.runtime.topic(TOPICS.userSources)]);
        return lag.every((partition) => partition.lag === 0);
      },
      { description: 'the sink group to commit past every fact' },
    );
    const pool = new Pool({ connectionString: testInfrastructure().databaseUrl, max: 1 });
    try {
      const { rows } = await pool.query<{ subject_id: string }>(
        `SELECT subject_id FROM "${namespace.schema}".subject_facts ORDER BY subject_id`,
      );
      expect(rows.map((row) => row.subject_id)).toEqual(good.map((fact) => fact.subjectId));
    } finally {
      await pool.end();
    }
  });
});
