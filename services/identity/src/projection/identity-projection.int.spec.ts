import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityLinkId, type RawEvent } from '@touchstream/contracts';
import { acceptedRawEvent, projectEvents, snapshotOf } from '@touchstream/identity-graph';
import { IdentityTestbed, type RunningIdentity } from '../testing/harness';
import { TimelinePurge } from '../retention/timeline-purge';
import { IdentityProjector } from './identity-projector';

const t = (hour: number, minute = 0) => new Date(Date.UTC(2026, 2, 1, hour, minute)).toISOString();

describe('identity projection on the real broker and Postgres', () => {
  const bed = new IdentityTestbed('identity-projection');
  let app: RunningIdentity;
  const all: RawEvent[] = [];
  const produce = async (events: RawEvent[]) => {
    all.push(...events);
    await bed.produce(events);
  };

  beforeAll(async () => {
    await bed.start();
    app = await bed.startApp();
  });

  afterAll(async () => {
    await bed.stop();
  });

  it('links from identify, from an event carrying both ids and from alias, and publishes each link once keyed by anonymousId', async () => {
    await produce([
      acceptedRawEvent({
        type: 'page',
        messageId: 'p1',
        anonymousId: 'anon-1',
        timestamp: t(9),
        context: { page: { url: 'https://x.example/' } },
      }),
      acceptedRawEvent({
        type: 'identify',
        messageId: 'i1',
        anonymousId: 'anon-1',
        userId: 'user-1',
        traits: { plan: 'free' },
        timestamp: t(10),
      }),
      acceptedRawEvent({ type: 'track', event: 'Clicked', messageId: 'e1', anonymousId: 'anon-2', userId: 'user-2', timestamp: t(11) }),
      acceptedRawEvent({ type: 'alias', messageId: 'al1', previousId: 'anon-3', userId: 'user-3', timestamp: t(12) }),
    ]);
    await bed.settled();
    const snapshot = await bed.snapshot();
    expect(snapshot.links).toEqual([
      { anonymousId: 'anon-1', userId: 'user-1', firstSeenAt: t(10), via: 'identify', messageId: 'i1' },
      { anonymousId: 'anon-2', userId: 'user-2', firstSeenAt: t(11), via: 'event', messageId: 'e1' },
      { anonymousId: 'anon-3', userId: 'user-3', firstSeenAt: t(12), via: 'alias', messageId: 'al1' },
    ]);
    expect(snapshot).toEqual(snapshotOf(projectEvents(all)));

    const links = await (await bed.linkReader()).upTo(3);
    expect(links.map(({ key, value }) => [key, value.id, value.data.revision])).toEqual(
      expect.arrayContaining([
        ['anon-1', identityLinkId('anon-1', 'user-1', 1), 1],
        ['anon-2', identityLinkId('anon-2', 'user-2', 1), 1],
        ['anon-3', identityLinkId('anon-3', 'user-3', 1), 1],
      ]),
    );
    expect(links).toHaveLength(3);
    const identify = links.find(({ value }) => value.data.anonymousId === 'anon-1')?.value;
    expect(identify).toMatchObject({
      occurredAt: t(10),
      correlationId: 'i1',
      source: 'import',
      data: { via: 'identify', messageId: 'i1', firstSeenAt: t(10) },
    });
  });

  it('changes nothing and publishes nothing when the same events are delivered again', async () => {
    const before = await bed.snapshot();
    const outboxBefore = await bed.outbox();
    await produce(all.slice(0, 4));
    await bed.settled();
    expect(await bed.snapshot()).toEqual(before);
    expect(await bed.outbox()).toEqual(outboxBefore);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/touchstream_identity_events_total 8/);
  });

  it('re-publishes a link as its next revision when an earlier sighting arrives later, and merges traits latest-wins', async () => {
    await produce([
      acceptedRawEvent({ type: 'page', messageId: 'early', anonymousId: 'anon-1', userId: 'user-1', timestamp: t(8) }),
      acceptedRawEvent({
        type: 'identify',
        messageId: 'old-traits',
        userId: 'user-1',
        traits: { plan: 'legacy', name: 'Ada' },
        timestamp: t(7),
      }),
      acceptedRawEvent({ type: 'identify', messageId: 'new-traits', userId: 'user-1', traits: { plan: 'pro' }, timestamp: t(20) }),
    ]);
    await bed.settled();
    const snapshot = await bed.snapshot();
    expect(snapshot.links[0]).toEqual({ anonymousId: 'anon-1', userId: 'user-1', firstSeenAt: t(8), via: 'event', messageId: 'early' });
    expect(snapshot.traits).toEqual([
      { userId: 'user-1', key: 'name', value: 'Ada', observedAt: t(7), messageId: 'old-traits' },
      { userId: 'user-1', key: 'plan', value: 'pro', observedAt: t(20), messageId: 'new-traits' },
    ]);
    const links = await (await bed.linkReader()).upTo(4);
    const revised = links.find(({ value }) => value.data.revision === 2)?.value;
    expect(revised).toMatchObject({
      id: identityLinkId('anon-1', 'user-1', 2),
      data: { firstSeenAt: t(8), messageId: 'early', via: 'event' },
    });
    expect(links).toHaveLength(4);
    expect((await bed.revisions()).get('anon-1\u0000user-1')).toBe(2);
  });

  it('leaves the projection and the links topic unchanged when a new consumer group replays the raw topic from offset 0', async () => {
    await bed.settled();
    const before = await bed.snapshot();
    const published = (await bed.outbox()).map((row) => row.eventId);
    // The relay deletes sent rows after a day: without them, only the projection can stop a re-publish.
    await bed.pool.query(`DELETE FROM "${bed.namespace.schema}".outbox`);
    const replay = await bed.startApp({ IDENTITY_CONSUMER_GROUP: `${bed.group}-replay` });
    await bed.settled(`${bed.group}-replay`);
    expect(await bed.snapshot()).toEqual(before);
    expect(await bed.outbox()).toEqual([]);
    const links = await (await bed.linkReader()).upTo(published.length);
    expect(links.map(({ value }) => value.id).sort()).toEqual([...published].sort());
    const metrics = await (await fetch(`${replay.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`touchstream_identity_events_total ${bed.produced}\\b`));
    expect(metrics).not.toMatch(/touchstream_identity_links_published_total\{kind="new"\} [1-9]/);
    await replay.close();
  });

  it('keeps the timeline within the retention: expired entries are purged and old events are not written', async () => {
    const retentionMs = 36_500 * 86_400_000;
    const cutoff = Date.parse(t(10, 30));
    const purge = app.app.get(TimelinePurge);
    const projector = app.app.get(IdentityProjector);
    purge.now = () => new Date(cutoff + retentionMs);
    projector.now = () => new Date(cutoff + retentionMs);
    const expired = (await bed.snapshot()).timeline.filter((entry) => Date.parse(entry.timestamp) < cutoff);
    expect(expired.length).toBeGreaterThan(0);
    expect(await purge.purge()).toBe(expired.length);
    expect((await bed.snapshot()).timeline.filter((entry) => Date.parse(entry.timestamp) < cutoff)).toEqual([]);

    await produce([acceptedRawEvent({ type: 'page', messageId: 'too-old', anonymousId: 'anon-old', timestamp: t(9) })]);
    await bed.settled();
    const snapshot = await bed.snapshot();
    expect(snapshot.timeline.map((entry) => entry.messageId)).not.toContain('too-old');
    expect(snapshot.ids).toContainEqual({ kind: 'anonymous', id: 'anon-old', firstSeenAt: t(9), lastSeenAt: t(9) });
    expect(await purge.purge()).toBe(0);
  });
});
