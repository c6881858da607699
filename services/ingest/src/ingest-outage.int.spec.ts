import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testNamespace, waitFor } from '@touchstream/testing';
import { OwnBroker } from './testing/own-broker';
import { TopicWatch, basicAuth, pageEvent, post, startIngest, type Answer, type RunningIngest } from './testing/harness';

const WRITE_KEY = 'outage-key';
const EVENTS_PER_DELIVERY = 10;
const ACK_TIMEOUT_MS = 1_000;

/** One batch as a Segment SDK holds it: re-sent unchanged (same messageIds) until it gets a 2xx. */
interface Delivery {
  body: string;
  messageIds: string[];
  statuses: number[];
}

/**
 * Jepsen's vocabulary: a lost write is an event answered 200 that is not in the topic; a
 * duplicate is one stored twice. Ingest's guarantee: no lost writes; an event answered 200 on
 * its only attempt is stored once; an event answered 503 may be stored by that attempt too, so
 * its copies must be identical (same envelope id, same content) for the messageId dedupe
 * downstream to collapse them.
 */
describe('ingest when its broker freezes or stops', () => {
  const namespace = testNamespace('ingest-outage');
  let broker: OwnBroker | undefined;
  let ingest: RunningIngest;
  const deliveries: Delivery[] = [];
  let sequence = 0;

  const newDelivery = (): Delivery => {
    const events = Array.from({ length: EVENTS_PER_DELIVERY }, () => {
      sequence += 1;
      return pageEvent(`${namespace.id}-m${sequence}`, `outage-anon-${sequence % 7}`);
    });
    const delivery = {
      body: JSON.stringify({ batch: events }),
      messageIds: events.map((event) => event.messageId as string),
      statuses: [],
    };
    deliveries.push(delivery);
    return delivery;
  };

  const deliver = async (delivery: Delivery): Promise<Answer> => {
    const answer = await post(`${ingest.url}/v1/batch`, delivery.body, { authorization: basicAuth(WRITE_KEY) });
    delivery.statuses.push(answer.status);
    return answer;
  };

  /** Re-sends a delivery until it is answered 200, as Segment's retries would. */
  const deliverUntilAcknowledged = (delivery: Delivery) =>
    waitFor(async () => (await deliver(delivery)).status === 200, {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: 'a retried delivery to be acknowledged',
    });

  const readyStatus = async () => (await fetch(`${ingest.url}/ready`)).status;

  beforeAll(async () => {
    broker = await OwnBroker.start();
    ingest = await startIngest(
      {
        KAFKA_BROKERS: broker.address,
        KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
        INGEST_WRITE_KEYS: WRITE_KEY,
        INGEST_ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS),
        INGEST_RETRY_AFTER_SECONDS: '1',
      },
      // The broker is taken away on purpose: kafkajs's connection warnings would only be noise.
      { logLevel: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'error' },
    );
  });

  afterAll(async () => {
    try {
      await ingest?.close();
    } finally {
      await broker?.remove();
    }
  });

  it('answers 503 with Retry-After while a frozen broker does not acknowledge within the bound, and 200 to the retry once it does', async () => {
    const own = broker as OwnBroker;
    expect((await deliver(newDelivery())).status).toBe(200);

    own.pause();
    const during = newDelivery();
    const refused = await deliver(during);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body).toEqual({
      success: false,
      error: 'broker_unavailable',
      message: `Kafka did not acknowledge the events within ${ACK_TIMEOUT_MS} ms: retry later`,
    });
    await waitFor(async () => (await readyStatus()) === 503, { description: '/ready to answer 503 while the broker is frozen' });

    own.resume();
    await deliverUntilAcknowledged(during);
    await waitFor(async () => (await readyStatus()) === 200, { description: '/ready to answer 200 again' });
  });

  it('keeps every event it answered 200 through a broker stop and restart in the middle of traffic', { timeout: 240_000 }, async () => {
    const own = broker as OwnBroker;
    let sending = true;
    const sender = async () => {
      while (sending) {
        const answer = await deliver(newDelivery());
        expect([200, 503]).toContain(answer.status);
        if (answer.status === 503) expect(answer.headers.get('retry-after')).toBe('1');
      }
    };
    const senders = Array.from({ length: 4 }, () => sender());
    const count = (status: number) => deliveries.filter((delivery) => delivery.statuses.includes(status)).length;
    const acknowledgedBefore = count(200);
    await waitFor(() => count(200) >= acknowledgedBefore + 20, { description: 'traffic acknowledged before the stop' });

    await own.stop();
    const refusedBefore = count(503);
    await waitFor(() => count(503) >= refusedBefore + 8, {
      timeoutMs: 60_000,
      description: 'requests answered 503 while the broker is down',
    });
    await waitFor(async () => (await readyStatus()) === 503, { description: '/ready to answer 503 while the broker is down' });
    sending = false;
    await Promise.all(senders);

    await own.restartKeepingData();
    for (const delivery of deliveries.filter((item) => !item.statuses.includes(200))) await deliverUntilAcknowledged(delivery);
    await waitFor(async () => (await readyStatus()) === 200, {
      timeoutMs: 60_000,
      description: '/ready to answer 200 once the broker is back',
    });
    for (let i = 0; i < 5; i += 1) expect((await deliver(newDelivery())).status).toBe(200);

    const expected = deliveries.flatMap((delivery) => delivery.messageIds);
    const topics = TopicWatch.forPrefix([own.address], namespace.topicPrefix);
    await topics.start();
    try {
      const storedIds = () => new Set(topics.raw().map((message) => message.value.data.event.messageId));
      await waitFor(() => expected.every((messageId) => storedIds().has(messageId)), {
        timeoutMs: 60_000,
        description: 'every acknowledged event in the raw topic',
      }).catch(() => undefined); // the assertions below say which are missing
      const copies = new Map<string, string[]>();
      for (const message of topics.raw()) {
        const raw = message.value;
        // What one attempt stamps (its arrival time) aside, every copy must be the same event.
        const { recordedAt: _recordedAt, ...envelope } = raw;
        const { receivedAt: _receivedAt, ...event } = raw.data.event;
        const copy = JSON.stringify({ ...envelope, data: { event }, key: message.key });
        copies.set(event.messageId, [...(copies.get(event.messageId) ?? []), copy]);
      }
      // No lost write: every event answered 200 is there; nothing else is.
      expect([...copies.keys()].sort()).toEqual([...expected].sort());
      for (const delivery of deliveries) {
        for (const messageId of delivery.messageIds) {
          const found = copies.get(messageId) ?? [];
          if (delivery.statuses.length === 1) {
            // Answered 200 at the first attempt: stored exactly once.
            expect(found, messageId).toHaveLength(1);
          } else {
            // Answered 503 before a 200: at most one copy per attempt, and all the same event.
            expect(found.length, messageId).toBeLessThanOrEqual(delivery.statuses.length);
            expect(new Set(found).size, messageId).toBe(1);
          }
        }
      }
      const retried = deliveries.filter((delivery) => delivery.statuses.length > 1);
      expect(retried.length).toBeGreaterThanOrEqual(8);
    } finally {
      await topics.stop();
    }
  });
});
