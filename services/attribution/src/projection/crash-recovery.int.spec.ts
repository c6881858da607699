import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRawEvent, touchSchema, userSourcesSchema, type RawEvent, type Touch, type UserSources } from '@touchstream/contracts';
import { DEFAULT_SETTINGS, type LedgerInput } from '../domain';
import { MemoryAttribution } from '../testing/memory-attribution';
import { generateArchive, SITE } from '@touchstream/synthetic-data';
import { waitFor, type ServiceProcess } from '@touchstream/testing';
import { PageClassifier, readPageView } from '../domain';
import { AttributionTestbed, linksFor } from '../testing/harness';

const archive = generateArchive({ users: 1_500, days: 60, seed: 'attribution-crash' });
const events: RawEvent[] = [...archive.events({ kind: 'shuffled', window: 400 })].map((event) =>
  toRawEvent(event, { source: 'import', receivedAt: new Date(event.timestamp as string) }),
);
const links = linksFor(events);

/** What in-memory processing of every input concludes: the state the service must end in. */
function reference(): MemoryAttribution {
  const classifier = new PageClassifier({ siteDomains: SITE.domains, extraUnwantedReferrals: SITE.unwantedReferrals });
  const inputs: LedgerInput[] = [];
  for (const raw of events) {
    const read = readPageView(raw.data.event);
    if (!read) continue;
    const view = classifier.classifyView(read.url, read.referrer, read.campaign);
    inputs.push({
      kind: 'page-view',
      visitor: read.visitor,
      view: { messageId: read.messageId, at: read.at, internal: view.internal, signature: view.signature, channel: view.source.channel },
    });
  }
  for (const link of links) {
    const { anonymousId, userId, firstSeenAt, revision } = link.data;
    inputs.push({ kind: 'link', link: { anonymousId, userId, firstSeenAt: Date.parse(firstSeenAt), revision } });
  }
  const memory = new MemoryAttribution(DEFAULT_SETTINGS);
  memory.applyBatch(inputs);
  return memory;
}

describe('attribution process killed mid-stream (SIGKILL) and restarted', () => {
  const bed = new AttributionTestbed('attribution-crash');
  const env = () =>
    bed.env({
      SITE_DOMAINS: SITE.domains.join(','),
      UNWANTED_REFERRALS: SITE.unwantedReferrals.join(','),
      ATTRIBUTION_CONSUMER_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'error',
    });
  const total = events.length + links.length;

  beforeAll(async () => {
    await bed.start();
  });

  afterAll(async () => {
    await bed.close();
  });

  it(
    'loses nothing and duplicates nothing, even when every Kafka offset commit made before a kill is lost',
    { timeout: 240_000 },
    async () => {
      const firstPart = events.slice(0, Math.floor(events.length / 3));
      let service: ServiceProcess = await bed.startProcess(env());
      await bed.produceLinks(links);
      await bed.produceRaw(firstPart);
      await waitFor(async () => (await bed.applied()) >= links.length / 2, {
        intervalMs: 5,
        timeoutMs: 60_000,
        description: 'some batches applied',
      });
      expect(await service.stop('SIGKILL')).toBeNull();
      const appliedAtFirstKill = await bed.applied();
      expect(appliedAtFirstKill).toBeGreaterThan(0);
      expect(appliedAtFirstKill).toBeLessThan(links.length + firstPart.length);

      // Worst case of "killed between effect and commit": rewind the group's offsets, so every batch
      // already applied comes again. Kafka refuses while the killed member's session lasts.
      await waitFor(
        async () => {
          await bed.runtime.resetGroup(bed.group, [bed.topics.raw, bed.topics.links], 'earliest');
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 1_000, description: "the killed member's session to expire" },
      );
      await bed.produceRaw(events.slice(firstPart.length));

      service = await bed.startProcess(env());
      const secondKillAt = appliedAtFirstKill + (total - appliedAtFirstKill) / 3;
      await waitFor(async () => (await bed.applied()) >= secondKillAt, {
        intervalMs: 5,
        timeoutMs: 90_000,
        description: 'more batches applied',
      });
      expect(await service.stop('SIGKILL')).toBeNull();
      expect(await bed.applied()).toBeLessThan(total);

      service = await bed.startProcess(env());
      await bed.settled(bed.group, 120_000);

      // Every page view stored once.
      const [row] = await bed.rows<{ count: string }>('SELECT count(*)::text AS count FROM $schema.page_views');
      const pageViews = new Set(events.filter((raw) => readPageView(raw.data.event)).map((raw) => raw.data.event.messageId));
      expect(Number(row?.count)).toBe(pageViews.size);

      // The outbox: each subject's versions and each touch's revisions count 1, 2, 3... with no gap and no repeat.
      const outbox = await bed.outbox();
      const counters = new Map<string, number[]>();
      for (const fact of outbox) {
        const [key, number] = fact.touch
          ? [`touch:${fact.touch.touchId}`, fact.touch.revision]
          : [`subject:${fact.userSources?.subjectType}:${fact.userSources?.subjectId}`, fact.userSources?.version ?? 0];
        counters.set(key, [...(counters.get(key) ?? []), number]);
      }
      for (const [key, numbers] of counters) expect(numbers, key).toEqual(numbers.map((_, index) => index + 1));

      // The topics: every outbox fact arrived; a fact seen twice (the relay re-publishing after a kill) is the same fact.
      const ids = new Set(outbox.map((fact) => fact.eventId));
      const idsOf = (kind: string) => new Set(outbox.filter((fact) => fact.kind === kind).map((fact) => fact.eventId));
      const published = [
        ...(await (await bed.reader(bed.topics.touches)).containing(idsOf('touch'))).map(
          ({ value }) => touchSchema.parse(value) as Touch | UserSources,
        ),
        ...(await (await bed.reader(bed.topics.userSources)).containing(idsOf('user-sources'))).map(({ value }) =>
          userSourcesSchema.parse(value),
        ),
      ];
      const byId = new Map(published.map((fact) => [fact.id, fact.data]));
      expect(new Set(byId.keys())).toEqual(ids);
      for (const fact of published) expect(fact.data).toEqual(byId.get(fact.id));

      // The final state is what processing everything in memory gives.
      const memory = reference();
      const touchState = (touch: { touchId: string; sessionId: string; userId: string | null }) => ({
        touchId: touch.touchId,
        sessionId: touch.sessionId,
        userId: touch.userId,
      });
      const expectedTouches = memory
        .allTouches()
        .filter((touch) => touch.status === 'recorded')
        .map(touchState)
        .sort((a, b) => (a.touchId < b.touchId ? -1 : 1));
      const actualTouches = [...(await bed.latestTouches()).values()]
        .filter((touch) => touch.status === 'recorded')
        .map(touchState)
        .sort((a, b) => (a.touchId < b.touchId ? -1 : 1));
      expect(actualTouches).toEqual(expectedTouches);
      const facts = await bed.latestUserSources();
      const expectedFacts = [...memory.latestFacts()].filter(([, fact]) => fact.first !== null);
      expect([...facts.values()].filter((fact) => fact.firstTouch !== null)).toHaveLength(expectedFacts.length);
      for (const [key, fact] of expectedFacts) {
        const actual = facts.get(key);
        expect(actual?.firstTouch && touchState(actual.firstTouch), key).toEqual(fact.first && touchState(fact.first));
        expect(actual?.lastTouch && touchState(actual.lastTouch), key).toEqual(fact.last && touchState(fact.last));
        expect(actual?.userIds, key).toEqual(fact.userIds);
      }

      expect(await service.stop('SIGTERM')).toBe(0);
    },
  );
});
