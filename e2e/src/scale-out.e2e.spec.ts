import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { identifyMessageId } from '@touchstream/segment-delivery';
import { SITE } from '@touchstream/synthetic-data';
import { waitFor, type ReceivedEvent } from '@touchstream/testing';
import { archiveTraffic, chunks, TrafficSender, type Traffic } from './archive-traffic';
import { comparablePart, copiesOf, expectedSubjects, expectedTrackIds, subjectOf } from './delivery-audit';
import { Pipeline } from './pipeline';
import { PipelineWatch } from './pipeline-watch';

const CHUNK = 25;
/** A few thousand events: enough traffic to flow while instances join and leave. */
const traffic: Traffic = archiveTraffic('scale-out', 160, 14);

const settings = {
  SITE_DOMAINS: SITE.domains.join(','),
  UNWANTED_REFERRALS: SITE.unwantedReferrals.join(','),
  IDENTITY_CONSUMER_SESSION_TIMEOUT_MS: '6000',
  ATTRIBUTION_CONSUMER_SESSION_TIMEOUT_MS: '6000',
  SINK_CONSUMER_SESSION_TIMEOUT_MS: '6000',
};

/** What a run delivered to Segment, by messageId: every track, and each subject's newest identify. */
interface Output {
  tracks: Map<string, unknown>;
  /** subject key -> the traits of its identify under the newest version attribution published, for every expected subject. */
  identifies: Map<string, unknown>;
  received: ReceivedEvent[];
}

async function outputOf(pipeline: Pipeline): Promise<Output> {
  const received = pipeline.receiver.accepted();
  const tracks = new Map<string, unknown>();
  for (const event of received.filter((candidate) => candidate.type === 'track'))
    tracks.set(String(event.messageId), comparablePart(event));
  const byId = new Map(received.filter((event) => event.type === 'identify').map((event) => [String(event.messageId), event]));
  const identifies = new Map<string, unknown>();
  // The subjects that must be identified: a device later linked to a user may get identifies of
  // its own before the link is known, or not, depending on timing, in any run.
  for (const subject of expectedSubjects(traffic.people)) {
    const path =
      subject.type === 'user'
        ? `/attribution/users/${encodeURIComponent(subject.id)}`
        : `/attribution/anonymous/${encodeURIComponent(subject.id)}`;
    const { status, body } = await pipeline.debugGet<{ version: number | null }>('attribution', path);
    const version = status === 200 ? (body.version ?? 0) : 0;
    if (version === 0) continue;
    const newest = byId.get(identifyMessageId(subject.type, subject.id, version));
    identifies.set(`${subject.type}:${subject.id}`, newest?.traits ?? `version ${version} not received`);
  }
  return { tracks, identifies, received };
}

/** Until every expected touch is tracked and every expected subject identified, then until settled. */
async function delivered(pipeline: Pipeline, watch: PipelineWatch): Promise<void> {
  const tracks = expectedTrackIds(traffic.people);
  const subjects = expectedSubjects(traffic.people);
  await waitFor(
    () => {
      const received = pipeline.receiver.accepted();
      const tracked = new Set(received.filter((event) => event.type === 'track').map((event) => String(event.messageId)));
      const identified = new Set(received.filter((event) => event.type === 'identify').map((event) => JSON.stringify(subjectOf(event))));
      return (
        [...tracks].every((id) => tracked.has(id)) &&
        subjects.every((subject) => identified.has(JSON.stringify({ type: subject.type, id: subject.id })))
      );
    },
    { timeoutMs: 300_000, intervalMs: 1_000, description: 'every touch tracked and every subject identified' },
  );
  await watch.settled(180_000);
}

/**
 * How long attribution's group committed nothing while it had a backlog, around an instance
 * joining or leaving: the rebalance pause as throughput sees it. Sampled every 100 ms.
 */
class CommitGaps {
  private samples: Array<{ at: number; committed: number }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly watch: PipelineWatch) {}

  start(): void {
    this.samples = [];
    const sample = async () => {
      const committed = await this.watch.committed('attribution').catch(() => undefined);
      if (committed !== undefined) this.samples.push({ at: performance.now(), committed });
      this.timer = setTimeout(() => void sample(), 100);
    };
    void sample();
  }

  /** The longest time between two commits of the group since start(). */
  stop(): number {
    clearTimeout(this.timer);
    let longest = 0;
    let lastMove = this.samples[0]?.at ?? 0;
    for (let i = 1; i < this.samples.length; i++) {
      const [previous, current] = [this.samples[i - 1], this.samples[i]];
      if (previous && current && current.committed > previous.committed) {
        longest = Math.max(longest, current.at - lastMove);
        lastMove = current.at;
      }
    }
    return Math.round(longest);
  }
}

async function sendAll(parts: ReadonlyArray<Traffic['events']>, sender: TrafficSender): Promise<void> {
  for (const part of parts) await sender.send(part);
}

describe('scale-out: two instances of identity, attribution and segment-sink, a third attribution joining and one leaving mid-stream', () => {
  it(
    'delivers to Segment what one instance of each delivers for the same input, nothing lost, copies counted',
    { timeout: 1_200_000 },
    async ({ annotate }) => {
      // All by webhook: the SDK's calls get Segment's clock-skew correction at ingest, a few
      // milliseconds that differ from run to run, and the two runs' outputs must be comparable as they are.
      const viaSdk = () => false;
      const parts = chunks(traffic.events, CHUNK);

      // The reference: one instance of each service, the same events in the same order.
      const single = new Pipeline('e2e-scale-one', settings);
      const singleWatch = new PipelineWatch(single);
      let reference: Output;
      try {
        await single.start();
        const sender = new TrafficSender(() => single.url('ingest'), single.writeKey, viaSdk);
        await sendAll(parts, sender);
        await delivered(single, singleWatch);
        reference = await outputOf(single);
      } finally {
        await singleWatch.close();
        await single.stop();
      }

      // Scaled: two of each consumer, then a third attribution while traffic flows, then one fewer.
      const scaled = new Pipeline('e2e-scale-out', settings);
      const watch = new PipelineWatch(scaled);
      const gaps = new CommitGaps(watch);
      let joinPauseMs = 0;
      let leavePauseMs = 0;
      try {
        await scaled.start();
        for (const service of ['identity', 'attribution', 'segment-sink'] as const) await scaled.startInstance(service);
        const sender = new TrafficSender(() => scaled.url('ingest'), scaled.writeKey, viaSdk);
        const third = Math.floor(parts.length / 3);
        await sendAll(parts.slice(0, third), sender);

        const flowing = sendAll(parts.slice(third), sender);
        flowing.catch(() => undefined);
        gaps.start();
        const joining = performance.now();
        const joined = await scaled.startInstance('attribution');
        const joinMs = Math.round(performance.now() - joining);
        await waitFor(() => sender.chunksSent >= third + Math.floor(third / 2), {
          timeoutMs: 180_000,
          description: 'traffic after the join',
        });
        joinPauseMs = gaps.stop();

        gaps.start();
        expect(await scaled.stopInstance(joined)).toBe(0);
        await waitFor(() => sender.chunksSent >= Math.min(parts.length, 2 * third + Math.floor(third / 2)), {
          timeoutMs: 180_000,
          description: 'traffic after the leave',
        });
        leavePauseMs = gaps.stop();
        await flowing;

        await delivered(scaled, watch);
        const output = await outputOf(scaled);

        // Same tracks, with the same content; every subject's newest identify the same.
        expect([...output.tracks.keys()].sort()).toEqual([...reference.tracks.keys()].sort());
        const differentTracks = [...output.tracks].filter(([id, part]) => !isDeepStrictEqual(part, reference.tracks.get(id)));
        expect(differentTracks.slice(0, 3).map(([id, part]) => ({ id, scaled: part, single: reference.tracks.get(id) }))).toEqual([]);
        expect([...output.identifies.keys()].sort()).toEqual([...reference.identifies.keys()].sort());
        const differentIdentifies = [...output.identifies].filter(
          ([key, traits]) => !isDeepStrictEqual(traits, reference.identifies.get(key)),
        );
        expect(differentIdentifies).toEqual([]);
        expect([...output.identifies.values()].filter((traits) => typeof traits === 'string')).toEqual([]);

        // Copies of one messageId are the same call (Segment keeps one); count them.
        const copies = copiesOf(output.received);
        expect(copies.differing).toEqual([]);
        const line =
          `${traffic.events.length} events; ${output.tracks.size} tracks and ${output.identifies.size} subjects identified, equal to one instance each; ` +
          `messageIds received more than once: ${copies.duplicates} scaled out (one instance each: ${copiesOf(reference.received).duplicates}); ` +
          `a third attribution instance ready (joined) ${joinMs} ms after its start; ` +
          `attribution's longest commit gap: ${joinPauseMs} ms around the join, ${leavePauseMs} ms around the leave`;
        process.stdout.write(`[scale-out e2e] ${line}\n`);
        await annotate(line);
      } finally {
        await watch.close();
        await scaled.stop();
      }
    },
  );
});
