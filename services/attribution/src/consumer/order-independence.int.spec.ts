import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRawEvent, type RawEvent } from '@touchstream/contracts';
import { generateArchive, SITE } from '@touchstream/synthetic-data';
import { AttributionTestbed, comparableTouches, comparableUserSources, linksFor } from '../testing/harness';

const archive = generateArchive({ users: 250, days: 40, seed: 'attribution-order' });
const raw = (order: Parameters<typeof archive.events>[0]): RawEvent[] =>
  [...archive.events(order)].map((event) => toRawEvent(event, { source: 'import', receivedAt: new Date(event.timestamp as string) }));
const siteEnv = { SITE_DOMAINS: SITE.domains.join(','), UNWANTED_REFERRALS: SITE.unwantedReferrals.join(',') };

/**
 * The same archive twice, on two schemas: once in time order with the links after the visits,
 * applied one partition at a time; once fully shuffled with the links (and their revisions)
 * before the visits, applied four partitions at a time. The final facts must be the same, and
 * must be what the generator says is true.
 */
describe('attribution: shuffled archive order gives identical facts', () => {
  const inOrder = new AttributionTestbed('attribution-in-order');
  const shuffled = new AttributionTestbed('attribution-shuffled');
  const ordered = raw({ kind: 'time' });
  const stirred = raw({ kind: 'shuffled', window: ordered.length });

  beforeAll(async () => {
    await Promise.all([inOrder.start(), shuffled.start()]);
    await Promise.all([inOrder.startApp(siteEnv), shuffled.startApp({ ...siteEnv, ATTRIBUTION_CONSUMER_CONCURRENCY: '4' })]);
    await inOrder.produceRaw(ordered);
    await inOrder.produceLinks(linksFor(ordered));
    await shuffled.produceLinks(linksFor(stirred));
    await shuffled.produceRaw(stirred);
    await Promise.all([inOrder.settled(), shuffled.settled()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([inOrder.close(), shuffled.close()]);
  });

  it('shuffles for real: the orders differ, and the shuffled links carry revisions', () => {
    expect(stirred.map((event) => event.id)).not.toEqual(ordered.map((event) => event.id));
    expect(linksFor(stirred).some((link) => link.data.revision > 1)).toBe(true);
  });

  it('publishes the same final first and last touch for every user and visitor', async () => {
    const expected = comparableUserSources(await inOrder.latestUserSources());
    expect(Object.keys(expected).length).toBeGreaterThan(250);
    expect(comparableUserSources(await shuffled.latestUserSources())).toEqual(expected);
  });

  it('publishes the same final touches (withdrawn ones aside), with the same sessions and owners', async () => {
    const expected = comparableTouches(await inOrder.latestTouches());
    expect(comparableTouches(await shuffled.latestTouches())).toEqual(expected);
  });

  it("finds the generator's truth: one touch per visit, each user's first and last non-direct touch", async () => {
    const facts = await shuffled.latestUserSources();
    const touches = comparableTouches(await shuffled.latestTouches());
    let users = 0;
    let visits = 0;
    for (const person of archive.people()) {
      visits += person.visits.length;
      for (const device of person.devices) {
        // A visitor never identified has attribution of its own; a linked one hands it to its user.
        const fact = facts.get(`anonymous:${device.anonymousId}`);
        if (device.linked) expect(fact?.firstTouch ?? null).toBeNull();
        else expect(fact?.firstTouch?.messageId).toBe(device.firstTouch.messageId);
      }
      if (!person.userId || !person.firstTouch) continue;
      users += 1;
      const fact = facts.get(`user:${person.userId}`);
      expect(fact?.firstTouch?.messageId).toBe(person.firstTouch.messageId);
      expect(fact?.lastTouch?.messageId).toBe(person.lastNonDirectTouch?.messageId);
    }
    expect(users).toBeGreaterThan(50);
    expect(Object.keys(touches)).toHaveLength(visits);
  });
});
