import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifyMessageId, trackMessageId } from '@touchstream/segment-delivery';
import { dropSchema, postReplay, replayFinished, replayStatus, testInfrastructure, testNamespace, waitFor } from '@touchstream/testing';
import { ADMIN_TOKEN, DEBUG_TOKEN, debugHeaders, facts, startSink, TestTopics, touchData, type RunningSink } from './testing/harness';

/**
 * `POST /admin/replay` on the segment sink, on the real broker, Postgres and a local Segment
 * receiver: the group re-reads every fact and touch, and the sink's record of what Segment has
 * is kept, so a replay re-sends nothing that was delivered (not even past Segment's dedupe
 * window) and delivers, with the stream's messageIds, only what was never recorded as handled.
 */
describe('segment-sink replay', () => {
  const namespace = testNamespace('sink-replay');
  const topics = new TestTopics(namespace);
  let sink: RunningSink;

  const first = touchData({ touchId: 'rp-first', anonymousId: 'rp-anon', userId: 'rp-user', occurredAt: '2024-03-01T10:00:00.000Z' });
  const last = touchData({ touchId: 'rp-last', anonymousId: 'rp-anon', userId: 'rp-user', occurredAt: '2024-03-09T10:00:00.000Z' });
  const other = touchData({
    touchId: 'rp-other',
    anonymousId: 'rp-other-anon',
    userId: 'rp-other',
    occurredAt: '2024-03-02T10:00:00.000Z',
  });

  const requestedIds = () => sink.receiver.requests().flatMap((request) => request.events.map((event) => String(event.messageId)));
  /**
   * Nothing queued, in flight or waiting to be marked, and every offset committed: an idle
   * dispatcher alone is also what a batch looks like between a failed attempt and its retry,
   * and a retried batch may send again (at least once, same messageIds) without being a replay.
   */
  const settled = async () => {
    const status = (await (await fetch(`${sink.url}/segment/status`, { headers: debugHeaders() })).json()) as {
      marksPending: number;
      queued: number;
      inFlight: { events: number };
    };
    if (status.marksPending !== 0 || status.queued !== 0 || status.inFlight.events !== 0) return false;
    const { groups } = await replayStatus(sink.url, DEBUG_TOKEN);
    return groups.every((group) => group.lag === 0);
  };

  beforeAll(async () => {
    await topics.start();
    sink = await startSink(namespace);
    await topics.publishTouches([first, last, other]);
    await topics.publishFacts([facts('rp-user', 1, first, first), facts('rp-user', 2, first, last), facts('rp-other', 1, other, other)]);
    const expected = [identifyMessageId('user', 'rp-user', 2), identifyMessageId('user', 'rp-other', 1), trackMessageId('rp-last')];
    await waitFor(() => expected.every((id) => requestedIds().includes(id)), { description: 'the live deliveries' });
    await waitFor(settled, { description: 'the handled marks to be written and the offsets committed' });
  });

  afterAll(async () => {
    await sink?.close();
    await topics.stop();
    await dropSchema(testInfrastructure().databaseUrl, namespace.schema);
  });

  it('from earliest: re-reads everything and re-sends nothing that Segment has', async () => {
    const before = requestedIds();
    const answer = await postReplay(sink.url, ADMIN_TOKEN);
    expect(answer.status).toBe(202);
    const status = await replayFinished(sink.url, DEBUG_TOKEN);
    expect(status.groups).toMatchObject([{ groupId: sink.env.SINK_CONSUMER_GROUP, lag: 0, rebuilding: false }]);
    await waitFor(settled, { description: 'the sink to settle' });
    expect(requestedIds()).toEqual(before);
  });

  it('delivers, with the same messageIds, what was never recorded as handled', async () => {
    // As if the marks of one identify and one track had been lost (a crash before they were written).
    const schema = `"${namespace.schema}"`;
    const client = new Client({ connectionString: testInfrastructure().databaseUrl });
    await client.connect();
    try {
      await client.query(
        `UPDATE ${schema}.subject_facts SET handled_version = 0, handled_traits_hash = NULL WHERE subject_id = 'rp-other'`,
      );
      await client.query(`DELETE FROM ${schema}.tracked_touches WHERE touch_id = 'rp-first'`);
    } finally {
      await client.end();
    }
    const before = requestedIds();

    const answer = await postReplay(sink.url, ADMIN_TOKEN, { from: '2000-01-01T00:00:00Z' });
    expect(answer.status).toBe(202);
    await replayFinished(sink.url, DEBUG_TOKEN);
    await waitFor(settled, { description: 'the sink to settle' });

    expect(requestedIds().slice(before.length).sort()).toEqual(
      [identifyMessageId('user', 'rp-other', 1), trackMessageId('rp-first')].sort(),
    );
  });
});
