import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityLink, RawEvent } from '@touchstream/contracts';
import { acceptedRawEvent, projectEvents, snapshotOf } from '@touchstream/identity-graph';
import { IdentityTestbed } from '../testing/harness.spec';

/** A small deterministic PRNG (mulberry32): the same seed gives the same events and shuffles. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Events over few ids and few instants: links collide, conflict, tie, and arrive before their anonymous history. */
function generateEvents(count: number, next: () => number): RawEvent[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const anonymous = Array.from({ length: 30 }, (_, i) => `anon-${i}`);
  const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
  const at = () => new Date(Date.UTC(2026, 2, 1) + Math.floor(next() * 48) * 30 * 60_000).toISOString();
  return Array.from({ length: count }, (_, i) => {
    const messageId = `m-${i}`;
    const roll = next();
    if (roll < 0.5) {
      const url = pick(['https://x.example/', 'https://x.example/pricing?utm_source=ads', 'https://x.example/blog']);
      return acceptedRawEvent({ type: 'page', messageId, anonymousId: pick(anonymous), context: { page: { url } }, timestamp: at() });
    }
    if (roll < 0.7) {
      return acceptedRawEvent({
        type: 'identify',
        messageId,
        anonymousId: pick(anonymous),
        userId: pick(users),
        traits: { plan: pick(['free', 'pro', 'team']), seats: Math.floor(next() * 10) },
        timestamp: at(),
      });
    }
    if (roll < 0.85)
      return acceptedRawEvent({
        type: 'track',
        event: 'Clicked',
        messageId,
        anonymousId: pick(anonymous),
        userId: pick(users),
        timestamp: at(),
      });
    if (roll < 0.95) return acceptedRawEvent({ type: 'track', event: 'Server Side', messageId, userId: pick(users), timestamp: at() });
    return acceptedRawEvent({ type: 'alias', messageId, previousId: pick(anonymous), userId: pick(users), timestamp: at() });
  });
}

function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** The newest revision of each link on the topic. */
function latestLinks(events: Array<{ value: IdentityLink }>) {
  const latest = new Map<string, IdentityLink['data']>();
  for (const { value } of events) {
    const key = `${value.data.anonymousId}\u0000${value.data.userId}`;
    if ((latest.get(key)?.revision ?? 0) < value.data.revision) latest.set(key, value.data);
  }
  return [...latest.values()]
    .map(({ anonymousId, userId, firstSeenAt, via, messageId }) => ({ anonymousId, userId, firstSeenAt, via, messageId }))
    .sort((a, b) => (`${a.anonymousId}\u0000${a.userId}` < `${b.anonymousId}\u0000${b.userId}` ? -1 : 1));
}

describe('order independence on the real broker and Postgres', () => {
  const beds = [new IdentityTestbed('identity-order-a'), new IdentityTestbed('identity-order-b')];
  const events = generateEvents(600, random(6));
  // Some events delivered twice, as an at-least-once producer would.
  const deliveries = [...events, ...events.slice(0, 60)];

  beforeAll(async () => {
    for (const bed of beds) {
      await bed.start();
      await bed.startApp();
    }
  });

  afterAll(async () => {
    for (const bed of beds) await bed.stop();
  });

  it('gives the same projection and the same final links for two different arrival orders, equal to the domain projection', async () => {
    const orders = [shuffle(deliveries, random(1)), shuffle(deliveries, random(2))];
    expect(orders[0]?.map((event) => event.id)).not.toEqual(orders[1]?.map((event) => event.id));
    await Promise.all(
      beds.map(async (bed, index) => {
        const order = orders[index] as RawEvent[];
        // Uneven produce calls, so batch boundaries differ too.
        for (let start = 0, size = 7; start < order.length; start += size, size = ((size * 3) % 97) + 5) {
          await bed.produce(order.slice(start, start + size));
        }
        await bed.settled();
      }),
    );
    const [a, b] = await Promise.all(beds.map((bed) => bed.snapshot()));
    const expected = snapshotOf(projectEvents(events));
    expect(expected.links.length).toBeGreaterThan(50);
    expect(a).toEqual(expected);
    expect(b).toEqual(expected);

    for (const bed of beds) {
      const published = (await bed.outbox()).length;
      const links = await (await bed.linkReader()).upTo(published);
      expect(latestLinks(links)).toEqual(expected.links);
    }
  });
});
