import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifyMessageId, trackMessageId } from '@touchstream/segment-delivery';
import {
  dropSchema,
  startSegmentReceiver,
  startServiceProcess,
  testInfrastructure,
  testNamespace,
  waitFor,
  type ReceivedRequest,
  type SegmentReceiver,
  type ServiceProcess,
} from '@touchstream/testing';
import { facts, sinkEnv, TestTopics, touchData, WRITE_KEY } from './testing/harness';

/**
 * The compiled service, killed with SIGKILL while Segment holds its answer to a batch it has
 * received: the offsets of that batch were never committed. Restarted, the sink must send the
 * same messageIds again (Segment dedupes them) and nothing may be missing (Jepsen's "lost write").
 */
describe('segment-sink killed after sending, before committing', () => {
  const namespace = testNamespace('sink-crash');
  const topics = new TestTopics(namespace);
  let receiver: SegmentReceiver;
  let running: ServiceProcess | undefined;

  const touches = Array.from({ length: 60 }, (_, n) => touchData({ touchId: `crash-touch-${n}`, anonymousId: `crash-anon-${n % 7}` }));
  const subjects = Array.from({ length: 20 }, (_, n) => facts(`crash-user-${n}`, 1, touches[n] ?? null, touches[n] ?? null));
  const expected = [
    ...touches.map((touch) => trackMessageId(touch.touchId)),
    ...subjects.map((fact) => identifyMessageId('user', fact.subjectId, 1)),
  ].sort();

  beforeAll(async () => {
    receiver = await startSegmentReceiver({ writeKey: WRITE_KEY });
    await topics.start();
    for (const group of [0, 1, 2, 3, 4, 5, 6]) await topics.publishTouches(touches.filter((_, n) => n % 7 === group));
    await topics.publishFacts(subjects);
  });

  afterAll(async () => {
    await running?.stop('SIGKILL');
    await receiver?.close();
    await topics.stop();
    await dropSchema(testInfrastructure().databaseUrl, namespace.schema);
  });

  it('re-sends the held batch with the same messageIds after a restart, and loses nothing', async () => {
    // One request at a time, small ones: the held request blocks everything after it.
    const env = sinkEnv(namespace, receiver.url, { SINK_MAX_IN_FLIGHT: '1', SINK_MAX_BATCH_BYTES: '12000', SINK_MAX_EVENT_BYTES: '4000' });
    receiver.failNext({ kind: 'hold' });
    running = await startServiceProcess('segment-sink', env, 'SINK_PORT');
    const held = await waitFor(() => receiver.requests().find((request) => request.outcome === 'held'), {
      description: 'a batch received and held',
    });
    const heldIds = held.events.map((event) => String(event.messageId));
    expect(heldIds.length).toBeGreaterThan(0);
    expect(receiver.acceptedMessageIds()).toEqual([]);

    await running.stop('SIGKILL');
    await waitFor(() => held.outcome === 'aborted', { description: 'the held connection closed by the dead process' });

    running = await startServiceProcess('segment-sink', env, 'SINK_PORT');
    await waitFor(() => expected.every((id) => receiver.acceptedMessageIds().includes(id)), {
      timeoutMs: 45_000,
      description: 'every event delivered after the restart',
    });

    const accepted = receiver.acceptedMessageIds();
    for (const id of heldIds) expect(accepted, `held messageId ${id} sent again`).toContain(id);
    expect([...new Set(accepted)].sort(), 'nothing lost, nothing foreign').toEqual(expected);
    expect(accepted.length, 'no event delivered twice after the restart').toBe(expected.length);
    // The re-sent events are the same events, not only the same ids.
    const resent = new Map(receiver.accepted().map((event) => [event.messageId, event]));
    for (const event of held.events) expect(resent.get(event.messageId)).toEqual(event);
    expect(receiver.requests().filter((request: ReceivedRequest) => request.outcome === 'refused')).toEqual([]);

    expect(await running.stop('SIGTERM'), running.output()).toBe(0);
    running = undefined;
    // The restarted member waits out the killed one's session (30 s) before it gets the partitions.
  }, 120_000);
});
