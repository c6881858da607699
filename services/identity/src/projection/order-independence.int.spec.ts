import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityLink, RawEvent } from '@touchstream/contracts';
import { projectEvents, snapshotOf } from '@touchstream/identity-graph';
import { generateEvents, random, shuffle } from '../testing/generated-history';
import { IdentityTestbed } from '../testing/harness';

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
