import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@touchstream/contracts';
import { identifyMessageId, trackMessageId } from '@touchstream/segment-delivery';
import { dropSchema, testInfrastructure, testNamespace, waitFor } from '@touchstream/testing';
import { debugHeaders, facts, startSink, TestTopics, touchData, type RunningSink } from './testing/harness';

describe('segment-sink replaying history (backfill mode)', () => {
  const namespace = testNamespace('sink-backfill');
  const topics = new TestTopics(namespace);
  let sink: RunningSink;

  const old = touchData({ touchId: 'bf-old', anonymousId: 'bf-anon', occurredAt: '2023-06-01T00:00:00.000Z' });
  const recent = touchData({ touchId: 'bf-recent', anonymousId: 'bf-anon', userId: 'bf-a', occurredAt: '2024-02-01T00:00:00.000Z' });
  const atCutoff = touchData({ touchId: 'bf-cutoff', anonymousId: 'bf-anon', occurredAt: '2024-01-01T00:00:00.000Z' });
  const visitorTouch = touchData({ touchId: 'bf-visit', anonymousId: 'bf-visitor', occurredAt: '2023-07-01T00:00:00.000Z' });

  beforeAll(async () => {
    await topics.start();
    // History first. bf-a's versions go under different keys, so they land on different partitions
    // and reach the sink in different consumer batches (checked below): no batch-level coalescing helps.
    await topics.publishTouches([old, atCutoff, recent, visitorTouch]);
    for (const version of [1, 2, 3])
      await topics.publishFacts([facts('bf-a', version, old, version === 1 ? old : recent)], `spread-${version}`);
    for (const version of [1, 2]) await topics.publishFacts([facts('bf-b', version, old, old)]);
    await topics.publishFacts([facts('bf-visitor', 1, visitorTouch, visitorTouch, { subjectType: 'anonymous', userIds: [] })]);
    await topics.publishFacts([facts('bf-visitor', 2, visitorTouch, visitorTouch, { subjectType: 'anonymous', userIds: ['bf-b'] })]);
    await topics.publishFacts([facts('bf-cleared', 1, old, old)]);
    await topics.publishFacts([facts('bf-cleared', 2, null, null)]);
    sink = await startSink(namespace, { env: { SINK_MODE: 'backfill', TRACK_SINCE: '2024-01-01' } });
  });

  afterAll(async () => {
    await sink?.close();
    await topics.stop();
    await dropSchema(testInfrastructure().databaseUrl, namespace.schema);
  });

  const requestedIds = () => sink.receiver.requests().flatMap((request) => request.events.map((event) => String(event.messageId)));
  const status = async () =>
    (await (await fetch(`${sink.url}/segment/status`, { headers: debugHeaders() })).json()) as {
      pendingIdentifies: number;
      backfillCaughtUp: boolean;
      queued: number;
      inFlight: { events: number };
    };

  it('identifies each subject once, with its final state, and tracks only touches since TRACK_SINCE', async () => {
    const reader = topics.runtime.reader(topics.runtime.topic(TOPICS.userSources));
    await reader.start();
    const spread = await waitFor(
      () => reader.received().length >= 9 && reader.received().filter((message) => message.key?.startsWith('spread-')),
      {
        description: 'the published facts',
      },
    );
    await reader.stop();
    expect(new Set(spread.map((message) => message.partition)).size).toBe(2);

    await waitFor(
      async () => {
        const current = await status();
        return (
          current.backfillCaughtUp === true &&
          current.pendingIdentifies === 0 &&
          current.queued === 0 &&
          current.inFlight.events === 0 &&
          requestedIds().includes(identifyMessageId('user', 'bf-b', 2))
        );
      },
      { description: 'the backfill flush after catching up' },
    );
    const identifies = sink.receiver.accepted().filter((event) => event.type === 'identify');
    expect(identifies.map((event) => event.messageId).sort()).toEqual(
      [identifyMessageId('user', 'bf-a', 3), identifyMessageId('user', 'bf-b', 2)].sort(),
    );
    expect(identifies.find((event) => event.userId === 'bf-a')?.traits).toMatchObject({
      source_first_timestamp: '2023-06-01T00:00:00.000Z',
      source_last_timestamp: '2024-02-01T00:00:00.000Z',
    });
    const tracks = sink.receiver.accepted().filter((event) => event.type === 'track');
    expect(tracks.map((event) => event.messageId).sort()).toEqual([trackMessageId('bf-recent'), trackMessageId('bf-cutoff')].sort());
    expect(requestedIds().filter((id) => id === identifyMessageId('user', 'bf-a', 3))).toHaveLength(1);
  });

  it('identifies a subject again, once, when a newer fact arrives after the catch-up', async () => {
    await topics.publishFacts([facts('bf-a', 4, old, { ...recent, occurredAt: '2024-03-01T00:00:00.000Z' })]);
    await waitFor(() => requestedIds().includes(identifyMessageId('user', 'bf-a', 4)), { description: 'the identify of version 4' });
    await waitFor(async () => (await status()).pendingIdentifies === 0, { description: 'nothing pending' });
    expect(requestedIds().filter((id) => id.startsWith(identifyMessageId('user', 'bf-a', 4)))).toHaveLength(1);
    expect(sink.receiver.accepted().find((event) => event.messageId === identifyMessageId('user', 'bf-a', 4))?.traits).toMatchObject({
      source_last_timestamp: '2024-03-01T00:00:00.000Z',
    });
  });
});
