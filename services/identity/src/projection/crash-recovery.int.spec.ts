import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityLinkId, type RawEvent } from '@touchstream/contracts';
import { acceptedRawEvent, projectEvents, snapshotOf } from '@touchstream/identity-graph';
import { startServiceProcess, waitFor, type ServiceProcess } from '@touchstream/testing';
import { IdentityTestbed } from '../testing/harness';

/**
 * Visitors browse, identify, and keep browsing; every 10th also logs in on the previous
 * visitor's device (a conflict). Each device's events are in time order and keyed by its
 * anonymousId, so every link's first sighting is the first one applied: revision 1 only.
 */
function visits(visitors: number): RawEvent[] {
  const events: RawEvent[] = [];
  const at = (visitor: number, step: number) => new Date(Date.UTC(2026, 2, 1) + visitor * 60_000 + step * 1_000).toISOString();
  for (let v = 0; v < visitors; v += 1) {
    const anonymousId = `device-${v}`;
    const userId = `person-${v}`;
    const page = (step: number, extra: { userId?: string } = {}) =>
      acceptedRawEvent({
        type: 'page',
        messageId: `page-${v}-${step}`,
        anonymousId,
        context: { page: { url: `https://x.example/${step}`, referrer: step === 0 ? 'https://www.google.com/' : null } },
        timestamp: at(v, step),
        ...extra,
      });
    events.push(page(0), page(1), page(2));
    events.push(
      acceptedRawEvent({
        type: 'identify',
        messageId: `identify-${v}`,
        anonymousId,
        userId,
        traits: { plan: 'trial', visitor: v },
        timestamp: at(v, 3),
      }),
    );
    events.push(page(4, { userId }), page(5, { userId }));
    events.push(acceptedRawEvent({ type: 'track', event: 'Signed Up', messageId: `track-${v}`, anonymousId, userId, timestamp: at(v, 6) }));
    if (v % 10 === 9) {
      events.push(
        acceptedRawEvent({ type: 'identify', messageId: `shared-${v}`, anonymousId: `device-${v - 1}`, userId, timestamp: at(v, 7) }),
      );
    }
  }
  return events;
}

async function metric(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return Number(match?.[1] ?? 0);
}

describe('identity process killed mid-stream (SIGKILL) and restarted', () => {
  const bed = new IdentityTestbed('identity-crash');
  const events = visits(500);
  const env = () => bed.env({ IDENTITY_CONSUMER_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'error' });

  beforeAll(async () => {
    await bed.start();
  });

  afterAll(async () => {
    await bed.stop();
  });

  it(
    'loses nothing and duplicates nothing, even when every Kafka offset commit made before the kill is lost',
    { timeout: 180_000 },
    async () => {
      let service = await startServiceProcess('identity', env(), 'IDENTITY_PORT');
      // A stream, not one burst: small produce calls, at most 500 events ahead of the service until
      // the kill, so the kill always falls mid-stream; the rest arrives while the service is down.
      let killed = false;
      let producedAtKill = 0;
      const streaming = (async () => {
        for (let start = 0; start < events.length; start += 100) {
          await waitFor(async () => killed || (await bed.applied()) >= bed.produced - 500, { description: 'the service to keep up' });
          await bed.produce(events.slice(start, start + 100));
          if (!killed) producedAtKill = bed.produced;
        }
      })();
      await waitFor(async () => (await bed.applied()) >= 200, { intervalMs: 5, description: 'the service to apply some events' });
      expect(await service.stop('SIGKILL')).toBeNull();
      killed = true;
      const appliedAtKill = await bed.applied();
      // Killed mid-stream: some batches were committed to Postgres, later ones not.
      expect(appliedAtKill).toBeGreaterThan(0);
      expect(appliedAtKill).toBeLessThan(events.length);

      // Worst case of "killed between effect and commit": rewind the group's Kafka offsets to 0, so every
      // batch already applied comes again. Kafka refuses while the killed member's session lasts.
      await waitFor(
        async () => {
          await bed.runtime.resetGroup(bed.group, [bed.rawTopic], 'earliest');
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 1_000, description: "the killed member's session to expire" },
      );
      await streaming;
      expect(producedAtKill).toBeLessThan(events.length);

      service = await startServiceProcess('identity', env(), 'IDENTITY_PORT');
      await bed.settled(bed.group, 90_000);

      const expected = snapshotOf(projectEvents(events));
      expect(await bed.snapshot()).toEqual(expected);
      // Applied exactly once: what was applied before the kill was redelivered and skipped.
      expect(await metric(service, 'touchstream_identity_events_total')).toBe(events.length - appliedAtKill);
      expect(await metric(service, 'touchstream_identity_redelivered_skipped_total')).toBeGreaterThanOrEqual(appliedAtKill);

      const expectedIds = expected.links.map((link) => identityLinkId(link.anonymousId, link.userId, 1)).sort();
      const outbox = await bed.outbox();
      expect(outbox.map((row) => row.eventId).sort()).toEqual(expectedIds);
      // The relay may re-publish a row whose "sent" mark the kill lost: same id, same content, recognised downstream.
      const topic = await (await bed.linkReader()).containing(expectedIds);
      const byId = new Map(topic.map(({ value }) => [value.id, value.data]));
      expect([...byId.keys()].sort()).toEqual(expectedIds);
      for (const { value } of topic) expect(value.data).toEqual(byId.get(value.id));
      for (const link of expected.links) {
        expect(byId.get(identityLinkId(link.anonymousId, link.userId, 1))).toEqual({ ...link, revision: 1 });
      }

      expect(await service.stop('SIGTERM')).toBe(0);
    },
  );
});
