import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, TRACEPARENT_HEADER, traceIdOf, type RawEvent, type Touch, type TopicSpec } from '@touchstream/contracts';
import { waitFor, type ReceivedEvent } from '@touchstream/testing';
import { Pipeline, SERVICES, type ServiceName } from './pipeline';
import { PipelineWatch } from './pipeline-watch';

const DAY = 24 * 60 * 60 * 1000;
const t0 = Date.parse('2026-03-02T10:00:00.000Z');
const at = (ms: number) => new Date(t0 + ms);

type Traits = Record<string, unknown>;

/** The newest identify the receiver accepted for a subject (Segment keeps the last one). */
function latestIdentify(events: ReceivedEvent[], subject: { userId?: string; anonymousId?: string }): Traits | undefined {
  const identifies = events.filter(
    (event) =>
      event.type === 'identify' &&
      (subject.userId ? event.userId === subject.userId : event.anonymousId === subject.anonymousId && !event.userId),
  );
  return identifies.at(-1)?.traits as Traits | undefined;
}

function tracksOf(events: ReceivedEvent[], anonymousId: string): ReceivedEvent[] {
  return events.filter((event) => event.type === 'track' && event.anonymousId === anonymousId);
}

describe('the whole pipeline: Segment SDK and webhook in, identify traits and Source Identified tracks out', () => {
  const pipeline = new Pipeline('e2e');
  const watch = new PipelineWatch(pipeline);
  let analytics: Analytics;
  // closeAndFlush() closes a client for good: each test that sends through the SDK gets its own.
  const newSdk = () =>
    new Analytics({ writeKey: pipeline.writeKey, host: pipeline.url('ingest'), path: '/v1/batch', flushAt: 50, flushInterval: 50 });

  async function webhook(event: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${pipeline.url('ingest')}/v1/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Segment.io/1.0' },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    await pipeline.start();
    analytics = newSdk();
  }, 240_000);

  afterAll(async () => {
    await analytics?.closeAndFlush({ timeout: 5_000 });
    await watch.close();
    await pipeline.stop();
  });

  it(
    'moves first touch to the organic search visit of a visitor who signs up a week later from a paid social ad',
    { timeout: 150_000 },
    async () => {
      analytics.page({
        anonymousId: 'e2e-anon-1',
        messageId: 'e2e-m-1',
        properties: { url: 'https://shop.example/', referrer: 'https://www.google.com/search?q=trail+running+shoes' },
        timestamp: at(0),
      });
      analytics.page({
        anonymousId: 'e2e-anon-1',
        messageId: 'e2e-m-2',
        properties: { url: 'https://shop.example/shoes', referrer: 'https://shop.example/' },
        timestamp: at(60_000),
      });
      await analytics.closeAndFlush();
      await webhook({
        type: 'page',
        messageId: 'e2e-m-3',
        anonymousId: 'e2e-anon-1',
        timestamp: at(7 * DAY).toISOString(),
        context: {
          page: {
            url: 'https://shop.example/sale?utm_source=facebook&utm_medium=paid_social&utm_campaign=spring',
            referrer: 'https://l.facebook.com/',
          },
        },
      });
      await webhook({
        type: 'identify',
        messageId: 'e2e-m-4',
        anonymousId: 'e2e-anon-1',
        userId: 'e2e-user-1',
        timestamp: at(7 * DAY + 300_000).toISOString(),
        traits: { plan: 'pro' },
      });

      const traits = await waitFor(
        () => {
          const latest = latestIdentify(pipeline.receiver.accepted(), { userId: 'e2e-user-1' });
          return latest?.source_last_channel === 'Paid Social' && latest.source_first_channel === 'Organic Search' && latest;
        },
        { timeoutMs: 90_000, description: "e2e-user-1's identify with first and last touch" },
      );
      expect(traits).toMatchObject({
        source_first_channel: 'Organic Search',
        source_first_source: 'google',
        source_first_medium: 'organic',
        source_first_search_term: 'trail running shoes',
        source_last_channel: 'Paid Social',
        source_last_source: 'facebook',
        source_last_medium: 'paid_social',
        source_last_campaign_name: 'spring',
        source_last_timestamp: at(7 * DAY).toISOString(),
      });
      // Sent by the SDK: ingest applies Segment's clock-skew correction, so within a second.
      expect(Math.abs(Date.parse(String(traits.source_first_timestamp)) - t0)).toBeLessThan(1_000);
      expect(Object.values(traits)).not.toContain(null);

      // Two touches (the internal page view is not one), each tracked once at its historic time.
      const tracks = await waitFor(() => {
        const found = tracksOf(pipeline.receiver.accepted(), 'e2e-anon-1');
        return new Set(found.map((event) => event.messageId)).size >= 2 && found;
      });
      const channels = new Map(tracks.map((event) => [(event.properties as Traits).channel, event]));
      expect([...channels.keys()].sort()).toEqual(['Organic Search', 'Paid Social']);
      expect(channels.get('Paid Social')).toMatchObject({ event: 'Source Identified', timestamp: at(7 * DAY).toISOString() });
    },
  );

  it("takes a two-device user's first touch from one device and last touch from the other", { timeout: 150_000 }, async () => {
    await webhook({
      type: 'page',
      messageId: 'e2e-d-1',
      anonymousId: 'e2e-device-a',
      timestamp: at(0).toISOString(),
      properties: { url: 'https://shop.example/', referrer: 'https://news.example.org/review' },
    });
    await webhook({
      type: 'identify',
      messageId: 'e2e-d-2',
      anonymousId: 'e2e-device-a',
      userId: 'e2e-user-2',
      timestamp: at(3_600_000).toISOString(),
    });
    analytics = newSdk();
    analytics.page({
      anonymousId: 'e2e-device-b',
      messageId: 'e2e-d-3',
      properties: { url: 'https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=march', referrer: '' },
      timestamp: at(2 * DAY),
    });
    analytics.identify({ anonymousId: 'e2e-device-b', userId: 'e2e-user-2', messageId: 'e2e-d-4', timestamp: at(2 * DAY + 60_000) });
    await analytics.closeAndFlush();

    const traits = await waitFor(
      () => {
        const latest = latestIdentify(pipeline.receiver.accepted(), { userId: 'e2e-user-2' });
        return latest?.source_last_channel === 'Email' && latest.source_first_channel === 'Referral' && latest;
      },
      { timeoutMs: 90_000, description: "e2e-user-2's identify over both devices" },
    );
    expect(traits).toMatchObject({
      source_first_source: 'news.example.org',
      source_first_medium: 'referral',
      source_last_source: 'newsletter',
      source_last_campaign_name: 'march',
    });
  });

  it('attributes a visitor who never identifies, on an identify with the anonymousId only', async () => {
    await webhook({
      type: 'page',
      messageId: 'e2e-v-1',
      anonymousId: 'e2e-visitor-3',
      timestamp: at(DAY).toISOString(),
      properties: { url: 'https://shop.example/pricing', referrer: 'https://chatgpt.com/' },
    });
    const traits = await waitFor(() => latestIdentify(pipeline.receiver.accepted(), { anonymousId: 'e2e-visitor-3' }), {
      timeoutMs: 90_000,
      description: "the anonymous visitor's identify",
    });
    expect(traits).toMatchObject({
      source_first_channel: 'AI Assistants',
      source_last_channel: 'AI Assistants',
      source_first_source: 'chatgpt',
    });
    const tracks = await waitFor(
      () => tracksOf(pipeline.receiver.accepted(), 'e2e-visitor-3').length > 0 && tracksOf(pipeline.receiver.accepted(), 'e2e-visitor-3'),
    );
    expect(tracks[0]).not.toHaveProperty('userId');
  });

  it(
    'ignores its own calls when the Segment source it writes to also feeds its webhook: no new touch, link or delivery',
    { timeout: 240_000 },
    async () => {
      // A journey of its own, so the test stands alone: a tagged visit, then sign-up.
      await webhook({
        type: 'page',
        messageId: 'e2e-loop-1',
        anonymousId: 'e2e-loop-anon',
        timestamp: at(3 * DAY).toISOString(),
        properties: { url: 'https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=loop', referrer: '' },
      });
      await webhook({
        type: 'identify',
        messageId: 'e2e-loop-2',
        anonymousId: 'e2e-loop-anon',
        userId: 'e2e-loop-user',
        timestamp: at(3 * DAY + 60_000).toISOString(),
      });
      await waitFor(() => latestIdentify(pipeline.receiver.accepted(), { userId: 'e2e-loop-user' })?.source_first_channel === 'Email', {
        timeoutMs: 90_000,
        description: "e2e-loop-user's identify",
      });
      await waitFor(() => tracksOf(pipeline.receiver.accepted(), 'e2e-loop-anon').length > 0, { description: "e2e-loop-anon's track" });
      await watch.settled();
      const total = async (spec: TopicSpec) => Object.values(await watch.endOffsets(spec)).reduce((sum, end) => sum + end, 0);
      const before = {
        raw: await total(TOPICS.rawEvents),
        touches: await watch.endOffsets(TOPICS.touches),
        links: await watch.endOffsets(TOPICS.identityLinks),
        facts: await watch.endOffsets(TOPICS.userSources),
      };
      const output = pipeline.receiver.accepted();

      // What Segment's webhook destination would deliver for each call the sink sent it.
      for (const call of output) await webhook(call);
      // They are accepted (the raw topic keeps everything), then the pipeline settles on them.
      await waitFor(async () => (await total(TOPICS.rawEvents)) >= before.raw + output.length, {
        description: 'the fed-back calls on the raw topic',
      });
      await watch.settled();

      expect(await watch.endOffsets(TOPICS.touches)).toEqual(before.touches);
      expect(await watch.endOffsets(TOPICS.identityLinks)).toEqual(before.links);
      expect(await watch.endOffsets(TOPICS.userSources)).toEqual(before.facts);
      expect(pipeline.receiver.accepted()).toHaveLength(output.length);
    },
  );

  it("exports what docs/grafana-dashboard.json queries, Node's process metrics under their standard names, and each consumer's lag", async () => {
    await watch.settled();
    const exported = new Map<ServiceName, Set<string>>();
    const texts = new Map<ServiceName, string>();
    for (const service of Object.keys(SERVICES) as ServiceName[]) {
      const text = await (await fetch(`${pipeline.url(service)}/metrics`)).text();
      texts.set(service, text);
      const names = new Set<string>();
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        names.add(name as string);
        if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
        if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
      }
      exported.set(service, names);
      for (const standard of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']) {
        expect(names, `${service} exports ${standard}`).toContain(standard);
      }
    }

    const dashboard = JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'docs', 'grafana-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const queried = dashboard.panels.flatMap((panel) =>
      panel.targets.flatMap((target) => [...target.expr.matchAll(/\b(?:touchstream|process|nodejs)_[a-z0-9_]+\b/g)].map(([name]) => name)),
    );
    expect(queried.length).toBeGreaterThan(10);
    const anyService = new Set([...exported.values()].flatMap((names) => [...names]));
    expect(queried.filter((name) => !anyService.has(name))).toEqual([]);

    // Every consuming service reports its lag per group and partition, at 0 once settled.
    for (const service of ['identity', 'attribution', 'segment-sink'] as const) {
      const samples = [...(texts.get(service) ?? '').matchAll(/^touchstream_consumer_lag_messages\{([^}]*)\} (\S+)$/gm)];
      expect(samples.length, `${service} reports touchstream_consumer_lag_messages`).toBeGreaterThan(0);
      for (const [, labels, value] of samples) {
        expect(labels).toMatch(/group="[^"]+",topic="[^"]+",partition="\d+"/);
        expect(Number(value)).toBe(0);
      }
    }
  });

  it(
    'carries one W3C trace (traceparent) from the ingested event through the Kafka hops to the Segment call',
    { timeout: 180_000 },
    async () => {
      await watch.settled();
      await webhook({
        type: 'page',
        messageId: 'e2e-trace-1',
        anonymousId: 'e2e-trace-anon',
        timestamp: at(4 * DAY).toISOString(),
        properties: { url: 'https://shop.example/?utm_source=partner&utm_medium=affiliate', referrer: '' },
      });
      await waitFor(() => tracksOf(pipeline.receiver.accepted(), 'e2e-trace-anon').length > 0, { description: "e2e-trace-anon's track" });

      const raw = (await watch.messagesWithHeaders<RawEvent>(TOPICS.rawEvents)).find(
        (message) => message.value.data.event.messageId === 'e2e-trace-1',
      );
      const traceId = traceIdOf(raw?.headers[TRACEPARENT_HEADER]);
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const touch = (await watch.messagesWithHeaders<Touch>(TOPICS.touches)).find(
        (message) => message.value.data.anonymousId === 'e2e-trace-anon',
      );
      expect(traceIdOf(touch?.headers[TRACEPARENT_HEADER])).toBe(traceId);
      expect(touch?.headers[TRACEPARENT_HEADER]).not.toBe(raw?.headers[TRACEPARENT_HEADER]);

      const request = pipeline.receiver
        .requests()
        .find((candidate) => candidate.events.some((event) => event.type === 'track' && event.anonymousId === 'e2e-trace-anon'));
      expect(traceIdOf(request?.headers[TRACEPARENT_HEADER])).toBe(traceId);
    },
  );
});
