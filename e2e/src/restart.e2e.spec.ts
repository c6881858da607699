import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { touchIdOf, type RawEvent } from '@touchstream/contracts';
import { identifyMessageId, trackMessageId } from '@touchstream/segment-delivery';
import { SITE, type VisitTruth } from '@touchstream/synthetic-data';
import { waitFor, type ReceivedEvent } from '@touchstream/testing';
import { archiveTraffic, chunks, TrafficSender } from './archive-traffic';
import {
  copiesOf,
  countBy,
  expectedSubjects,
  expectedTrackIds,
  possibleSubjects,
  subjectOf,
  touchTraits,
  type ExpectedSubject,
  type SubjectType,
} from './delivery-audit';
import { Pipeline } from './pipeline';
import { pipelineForSuite } from './pipeline-watch';

const VICTIMS = ['identity', 'attribution', 'segment-sink'] as const;
const CHUNK = 20;

/**
 * One pipeline; per test a fresh generated site (its own seed, so its own ids) sent in time order
 * through the Segment SDK and the webhook, and one service SIGKILLed while the traffic flows, then
 * started again. Everything is counted by id: what ingest accepted against the raw topic, and what
 * the generator's truth says must come out against what the Segment receiver accepted.
 */
describe('a service killed mid-stream and restarted loses and duplicates nothing', () => {
  const pipeline = new Pipeline('e2e-restart', {
    SITE_DOMAINS: SITE.domains.join(','),
    UNWANTED_REFERRALS: SITE.unwantedReferrals.join(','),
    // The broker hands a killed member's partitions on once its session lapses (default 30 s).
    IDENTITY_CONSUMER_SESSION_TIMEOUT_MS: '6000',
    ATTRIBUTION_CONSUMER_SESSION_TIMEOUT_MS: '6000',
    SINK_CONSUMER_SESSION_TIMEOUT_MS: '6000',
  });
  const watch = pipelineForSuite(pipeline);
  /** Every messageId sent to ingest by any test so far: the raw topic must hold each once, and nothing else. */
  const sent = new Set<string>();

  async function debugVersion(type: SubjectType, id: string): Promise<number> {
    const path = type === 'user' ? `/attribution/users/${encodeURIComponent(id)}` : `/attribution/anonymous/${encodeURIComponent(id)}`;
    const { status, body } = await pipeline.debugGet<{ version: number | null }>('attribution', path);
    if (status === 404) return 0;
    expect(status).toBe(200);
    return body.version ?? 0;
  }

  it.for(VICTIMS)(
    '%s: SIGKILL while events flow, then restart: every event once on the raw topic, every touch and identify at Segment',
    { timeout: 420_000 },
    async (victim, { annotate }) => {
      const traffic = archiveTraffic(`restart-${victim}`);
      const messageIds = traffic.events.map((event) => event.messageId as string);
      const sdkVisitors = new Set(
        traffic.people.filter((person) => person.person % 2 === 0).flatMap((person) => person.devices.map((device) => device.anonymousId)),
      );
      const sender = new TrafficSender(
        () => pipeline.url('ingest'),
        pipeline.writeKey,
        (event) => sdkVisitors.has(event.anonymousId as string),
      );
      const parts = chunks(traffic.events, CHUNK);
      const half = Math.floor(parts.length / 2);

      // First half, then wait until the victim has committed some of it: it is mid-stream.
      const committedBefore = await watch.committed(victim);
      for (const part of parts.slice(0, half)) await sender.send(part);
      await waitFor(async () => (await watch.committed(victim)) > committedBefore, {
        timeoutMs: 90_000,
        intervalMs: 200,
        description: `${victim} to commit part of the traffic`,
      });
      // The second half flows while the victim dies, stays down for a few chunks and comes back.
      const rest = (async () => {
        for (const part of parts.slice(half)) await sender.send(part);
      })();
      rest.catch(() => undefined);
      await waitFor(() => sender.chunksSent > half, { timeoutMs: 60_000, description: 'the second half to start flowing' });
      await pipeline.kill(victim);
      await waitFor(() => sender.chunksSent >= Math.min(parts.length, half + 3), {
        timeoutMs: 60_000,
        description: 'more traffic while the victim is down',
      });
      await pipeline.startService(victim);
      await rest;
      for (const id of messageIds) sent.add(id);

      const expectedTracks = expectedTrackIds(traffic.people);
      const subjects = expectedSubjects(traffic.people);
      const devices = new Set(traffic.people.flatMap((person) => person.devices.map((device) => device.anonymousId)));
      const users = new Set(traffic.people.flatMap((person) => (person.userId ? [person.userId] : [])));
      const ofThisTraffic = () =>
        pipeline.receiver.accepted().filter((event) => devices.has(String(event.anonymousId)) || users.has(String(event.userId)));
      const trackProperties = (events: readonly ReceivedEvent[], visit: VisitTruth) =>
        events.find((event) => event.messageId === trackMessageId(touchIdOf(visit.messageId)))?.properties;
      const identifyShowsTruth = (events: readonly ReceivedEvent[], identify: ReceivedEvent | undefined, subject: ExpectedSubject) => {
        const traits = (identify?.traits ?? {}) as Record<string, unknown>;
        return (
          identify !== undefined &&
          isDeepStrictEqual(touchTraits(traits, 'first'), trackProperties(events, subject.first)) &&
          isDeepStrictEqual(touchTraits(traits, 'last'), trackProperties(events, subject.last))
        );
      };

      await waitFor(
        () => {
          const events = ofThisTraffic();
          const tracked = new Set(events.filter((event) => event.type === 'track').map((event) => event.messageId));
          if (![...expectedTracks].every((id) => tracked.has(id))) return false;
          const identifies = events.filter((event) => event.type === 'identify');
          return subjects.every((subject) => {
            const latest = identifies.filter((event) => isSubject(event, subject)).at(-1);
            return identifyShowsTruth(events, latest, subject);
          });
        },
        {
          timeoutMs: 240_000,
          intervalMs: 500,
          description: 'every touch tracked and every subject identified with its true first and last touch',
        },
      );
      // Nothing more may come (a late re-send would show up below): every group at the end, every outbox drained.
      await watch.settled();

      // In: every event ingest accepted is on the raw topic exactly once, and nothing else is.
      const raw = await watch.rawEvents();
      const onRaw = countBy(raw, (event: RawEvent) => event.data.event.messageId);
      expect(messageIds.filter((id) => onRaw.get(id) !== 1)).toEqual([]);
      expect([...onRaw.keys()].filter((id) => !sent.has(id))).toEqual([]);
      expect(raw).toHaveLength(sent.size);

      // Out: the distinct tracks are exactly the touches; copies of one messageId are the same call.
      const events = ofThisTraffic();
      const tracks = events.filter((event) => event.type === 'track');
      const identifies = events.filter((event) => event.type === 'identify');
      expect([...new Set(tracks.map((event) => String(event.messageId)))].sort()).toEqual([...expectedTracks].sort());
      const copies = copiesOf(events);
      expect(copies.differing).toEqual([]);

      // Identifies: each names a subject of this traffic under a version attribution published, and
      // the newest one that arrived for each expected subject carries its true first and last touch.
      const versions = new Map<string, number>();
      for (const subject of possibleSubjects(traffic.people))
        versions.set(`${subject.type}:${subject.id}`, await debugVersion(subject.type, subject.id));
      const allowed = new Map<string, number>();
      for (const [key, version] of versions) {
        const [type, id] = [key.slice(0, key.indexOf(':')) as SubjectType, key.slice(key.indexOf(':') + 1)];
        for (let v = 1; v <= version; v++) allowed.set(identifyMessageId(type, id, v), v);
      }
      expect(identifies.filter((event) => !allowed.has(String(event.messageId))).map((event) => event.messageId)).toEqual([]);
      for (const subject of subjects) {
        const newest = identifies
          .filter((event) => isSubject(event, subject))
          .sort((a, b) => (allowed.get(String(a.messageId)) ?? 0) - (allowed.get(String(b.messageId)) ?? 0))
          .at(-1);
        expect(newest, `${subject.type} ${subject.id} identified`).toBeDefined();
        expect(touchTraits(newest?.traits as Record<string, unknown>, 'first'), `${subject.id} first touch`).toEqual(
          trackProperties(events, subject.first),
        );
        expect(touchTraits(newest?.traits as Record<string, unknown>, 'last'), `${subject.id} last touch`).toEqual(
          trackProperties(events, subject.last),
        );
      }

      const trackCopies = tracks.length - expectedTracks.size;
      await annotate(
        `${victim} killed and restarted: ${messageIds.length} events sent (${sdkVisitors.size} visitors through the SDK, the rest by webhook), ` +
          `each once on the raw topic; ${expectedTracks.size} touches tracked (re-sent copies: ${trackCopies}), ` +
          `${identifies.length} identifies for ${subjects.length} subjects (re-sent copies: ${copies.duplicates - trackCopies})`,
      );
    },
  );
});

function isSubject(event: ReceivedEvent, subject: { type: SubjectType; id: string }): boolean {
  const named = subjectOf(event);
  return named.type === subject.type && named.id === subject.id;
}
