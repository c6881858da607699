import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TOPICS, type TopicSpec } from '@touchstream/contracts';
import { gaugeValue } from '@touchstream/local-infra';
import { SITE } from '@touchstream/synthetic-data';
import { runReplayCommand, waitFor, type ReceivedEvent } from '@touchstream/testing';
import { archiveTraffic, chunks, TrafficSender } from './archive-traffic';
import { expectedSubjects, expectedTrackIds, possibleSubjects, subjectOf, type SubjectType } from './delivery-audit';
import { Pipeline, type ServiceName } from './pipeline';
import { pipelineForSuite } from './pipeline-watch';

/** The facts downstream of the raw topic: a replay from earliest must add none of them. */
const FACT_TOPICS: ReadonlyArray<TopicSpec> = [TOPICS.identityLinks, TOPICS.userSources, TOPICS.touches];
/** What says a service re-read its input: messages it applied (identity, attribution) or decided on (sink). */
const REREAD_COUNTERS = {
  identity: ['touchstream_identity_events_total'],
  attribution: ['touchstream_attribution_consumed_total'],
  'segment-sink': [
    'touchstream_sink_events_skipped_total',
    'touchstream_sink_events_sent_total',
    'touchstream_sink_events_coalesced_total',
  ],
} as const;

interface Downstream {
  /** Every event the Segment receiver accepted, in arrival order. */
  received: ReceivedEvent[];
  endOffsets: Record<string, Record<number, number>>;
  factIds: Record<string, string[]>;
  /** Path -> status and body of every debug answer about the traffic's subjects. */
  debug: Map<string, { status: number; body: unknown }>;
}

/**
 * One pipeline, one generated site sent through the Segment SDK and the webhook until everything
 * is delivered; then `npm run replay` (the real CLI, pointed at this pipeline by its ports and
 * token) rebuilds identity and attribution from the raw topic and rewinds the sink. A replay of
 * the same raw topic must change nothing downstream (docs/decisions/0009-replay.md): no new fact
 * on any topic, the same projections (versions and revisions included), and nothing new at Segment.
 */
describe('a replay from earliest of identity, attribution and the sink changes nothing downstream', () => {
  const pipeline = new Pipeline('e2e-replay', {
    SITE_DOMAINS: SITE.domains.join(','),
    UNWANTED_REFERRALS: SITE.unwantedReferrals.join(','),
  });
  const watch = pipelineForSuite(pipeline);

  async function metric(service: keyof typeof REREAD_COUNTERS): Promise<number> {
    const text = await (await fetch(`${pipeline.url(service)}/metrics`)).text();
    return REREAD_COUNTERS[service].reduce((sum, name) => sum + (gaugeValue(text, name) ?? 0), 0);
  }

  async function downstream(subjects: ReadonlyArray<{ type: SubjectType; id: string }>): Promise<Downstream> {
    const snapshot: Downstream = { received: [...pipeline.receiver.accepted()], endOffsets: {}, factIds: {}, debug: new Map() };
    for (const topic of FACT_TOPICS) {
      snapshot.endOffsets[topic.name] = await watch.endOffsets(topic);
      snapshot.factIds[topic.name] = (await watch.messages<{ id: string }>(topic)).map((fact) => fact.id).sort();
    }
    for (const { type, id } of subjects) {
      const kind = type === 'user' ? 'users' : 'anonymous';
      for (const service of ['identity', 'attribution'] as const) {
        const path = `/${service}/${kind}/${encodeURIComponent(id)}`;
        snapshot.debug.set(path, await pipeline.debugGet(service, path));
      }
    }
    return snapshot;
  }

  it(
    'npm run replay -- --from earliest: no new fact on any topic, identical debug answers, no new call at Segment',
    { timeout: 600_000 },
    async ({ annotate }) => {
      const traffic = archiveTraffic('replay');
      const sdkVisitors = new Set(
        traffic.people.filter((person) => person.person % 2 === 0).flatMap((person) => person.devices.map((device) => device.anonymousId)),
      );
      const sender = new TrafficSender(
        () => pipeline.url('ingest'),
        pipeline.writeKey,
        (event) => sdkVisitors.has(event.anonymousId as string),
      );
      for (const part of chunks(traffic.events, 20)) await sender.send(part);

      // The live run first delivers everything (so the replay has something to repeat), then settles.
      const expectedTracks = expectedTrackIds(traffic.people);
      const identified = expectedSubjects(traffic.people);
      await waitFor(
        () => {
          const events = pipeline.receiver.accepted();
          const tracked = new Set(events.filter((event) => event.type === 'track').map((event) => event.messageId));
          const named = new Set(events.filter((event) => event.type === 'identify').map((event) => key(subjectOf(event))));
          return [...expectedTracks].every((id) => tracked.has(id)) && identified.every((subject) => named.has(key(subject)));
        },
        { timeoutMs: 240_000, intervalMs: 500, description: 'every touch tracked and every subject identified by the live run' },
      );
      await watch.settled();

      const subjects = possibleSubjects(traffic.people);
      const before = await downstream(subjects);
      const readBefore = {
        identity: await metric('identity'),
        attribution: await metric('attribution'),
        sink: await metric('segment-sink'),
      };
      for (const topic of FACT_TOPICS) expect(factsOn(before, topic), `${topic.name} published live`).toBeGreaterThan(0);
      expect([...before.debug.values()].filter((answer) => answer.status === 200).length).toBeGreaterThan(subjects.length);

      // The real command, finding this pipeline (not a running `npm start`) by ports and token.
      const port = (service: ServiceName) => new URL(pipeline.url(service)).port;
      const run = await runReplayCommand(['--from', 'earliest', '--services', 'identity,attribution,sink', '--timeout-minutes', '1.5'], {
        IDENTITY_PORT: port('identity'),
        ATTRIBUTION_PORT: port('attribution'),
        SINK_PORT: port('segment-sink'),
        DEBUG_TOKEN: pipeline.debugToken,
        ADMIN_TOKEN: pipeline.adminToken,
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /replay: identity from earliest\nreplay: attribution from earliest\nreplay: segment-sink from earliest\n[\s\S]*replay: done in/,
      );
      await watch.settled();
      const after = await downstream(subjects);

      // It did replay: every service re-read at least what it had read live.
      const factsForSink = factsOn(before, TOPICS.userSources) + factsOn(before, TOPICS.touches);
      expect(await metric('identity'), 'identity re-applied the raw topic').toBeGreaterThanOrEqual(2 * readBefore.identity);
      expect(await metric('attribution'), 'attribution re-applied the raw and links topics').toBeGreaterThanOrEqual(
        2 * readBefore.attribution,
      );
      expect(await metric('segment-sink'), 'the sink re-read its topics').toBeGreaterThanOrEqual(readBefore.sink + factsForSink);

      // Nothing new at Segment: a re-sent call repeats a messageId already received, with the same payload.
      const first = new Map<string, ReceivedEvent>();
      for (const event of before.received) if (!first.has(String(event.messageId))) first.set(String(event.messageId), event);
      const resent = after.received.slice(before.received.length);
      expect(resent.filter((event) => !first.has(String(event.messageId))).map((event) => event.messageId)).toEqual([]);
      expect(
        resent.filter((event) => !isDeepStrictEqual(event, first.get(String(event.messageId)))).map((event) => event.messageId),
      ).toEqual([]);

      // No new fact on any topic: the same end offsets, the same ids.
      expect(after.factIds).toEqual(before.factIds);
      expect(after.endOffsets).toEqual(before.endOffsets);

      // The same projections: first and last touch, versions, revisions, links, sessions.
      for (const [path, answer] of before.debug) expect(after.debug.get(path), path).toEqual(answer);

      await annotate(
        `${traffic.events.length} events in; ${factsForSink + factsOn(before, TOPICS.identityLinks)} facts published live, ` +
          `none after the replay; ${before.received.length} calls at Segment before, ${resent.length} re-sent by the replay; ` +
          `${before.debug.size} debug answers identical`,
      );
    },
  );
});

function factsOn(snapshot: Downstream, topic: TopicSpec): number {
  return snapshot.factIds[topic.name]?.length ?? 0;
}

function key(subject: { type: SubjectType; id: string }): string {
  return `${subject.type}:${subject.id}`;
}
