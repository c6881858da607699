import { Analytics as NodeAnalytics } from '@segment/analytics-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, rawEventSchema, type RawEvent } from '@touchstream/contracts';
import { KafkaRuntime, type TopicReader } from '@touchstream/kafka';
import { testKafkaSettings, testLogger, waitFor, type ReceivedEvent } from '@touchstream/testing';
import { launchChromium } from './headless-chromium';
import { Pipeline } from './pipeline';
import { startSdkPageServer, type SdkPageServer } from './sdk-page-server';

/**
 * What the test page exposes. page.evaluate sends its function's source to the browser, so each
 * one names these through globalThis itself (a helper of this file would not exist there).
 */
interface PageGlobals {
  sdkReady: Promise<string>;
  analytics: {
    page(): Promise<unknown>;
    identify(userId: string, traits: Record<string, unknown>): Promise<unknown>;
    track(event: string, properties?: Record<string, unknown>): Promise<unknown>;
  };
}

const LANDING = '/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring';
const REFERRER = 'https://news.example.org/weekly';

/**
 * Segment's own browser SDK (@segment/analytics-next, from the project's dependencies) in headless
 * Chromium, on a page of another origin, pointed at ingest: CORS preflights, the short routes,
 * the pipeline's answer at the local Segment receiver, and the proxy forwarding the SDK's events.
 */
describe('Segment browser SDK pointed at touchstream, with proxy mode', () => {
  let pipeline: Pipeline;
  let allowedPage: SdkPageServer;
  let refusedPage: SdkPageServer;
  let browser: Browser;
  let runtime: KafkaRuntime;
  let raw: TopicReader;
  /** Requests the browser sent off this machine (none expected: no CDN; this network is closed anyway). */
  const offsite: string[] = [];

  const ingestHost = () => `${new URL(pipeline.url('ingest')).host}/v1`;
  const rawEvents = (): RawEvent[] =>
    raw.received().map((message) => rawEventSchema.parse(JSON.parse(message.value?.toString('utf8') ?? 'null')) as RawEvent);
  const rawOf = (anonymousId: string) => rawEvents().filter((envelope) => envelope.data.event.anonymousId === anonymousId);
  const forwardedCount = (messageId: string) => pipeline.receiver.acceptedMessageIds().filter((id) => id === messageId).length;
  const ingestMetric = async (pattern: RegExp) =>
    Number(pattern.exec(await (await fetch(`${pipeline.url('ingest')}/metrics`)).text())?.[1] ?? 0);

  async function openPage(origin: string, path: string): Promise<{ page: Page; anonymousId: string }> {
    const context = await browser.newContext();
    // Watched, not intercepted: with interception on, Playwright answers CORS preflights itself,
    // and ingest's own answer to them is what this test is about.
    context.on('request', (request) => {
      if (!new URL(request.url()).hostname.startsWith('127.')) offsite.push(request.url());
    });
    const page = await context.newPage();
    await page.goto(`${origin}${path}`, { referer: REFERRER });
    const anonymousId = await page.evaluate(() => (globalThis as unknown as PageGlobals).sdkReady);
    return { page, anonymousId };
  }

  beforeAll(async () => {
    const sdkPage = { writeKey: () => pipeline.writeKey, apiHost: ingestHost };
    allowedPage = await startSdkPageServer('127.0.0.2', sdkPage);
    refusedPage = await startSdkPageServer('127.0.0.2', sdkPage);
    pipeline = new Pipeline('browser-sdk', { INGEST_CORS_ORIGINS: allowedPage.origin, SEGMENT_PROXY: 'true' });
    await pipeline.start();
    runtime = new KafkaRuntime(testKafkaSettings(pipeline.namespace.topicPrefix), testLogger('raw-reader'));
    raw = runtime.reader(runtime.topic(TOPICS.rawEvents));
    await raw.start();
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await raw?.stop();
    await pipeline?.stop();
    await allowedPage?.close();
    await refusedPage?.close();
  });

  it(
    'attributes a page view with UTM parameters and a referrer, and forwards the original calls to Segment once',
    { timeout: 150_000 },
    async () => {
      const userId = `browser-user-${pipeline.namespace.id}`;
      const { page, anonymousId } = await openPage(allowedPage.origin, LANDING);
      await page.evaluate(async (user) => {
        const { analytics } = globalThis as unknown as PageGlobals;
        await analytics.page();
        await analytics.identify(user, { email: 'reader@example.com' });
        await analytics.track('Signed Up', { plan: 'pro' });
      }, userId);

      // Exactly the three calls, as the SDK sent them, through the API routes.
      const stored = await waitFor(() => rawOf(anonymousId).length >= 3 && rawOf(anonymousId), {
        description: 'the three calls on the raw topic',
      });
      expect(stored).toHaveLength(3);
      expect(stored.map((envelope) => envelope.data.event.type).sort()).toEqual(['identify', 'page', 'track']);
      expect(stored.every((envelope) => envelope.source === 'api')).toBe(true);
      const pageView = stored.find((envelope) => envelope.data.event.type === 'page')!.data.event;
      expect(pageView.context).toMatchObject({
        campaign: { source: 'newsletter', medium: 'email', name: 'spring' },
        page: { url: `${allowedPage.origin}${LANDING}` },
        library: { name: 'analytics.js' },
      });
      expect(String(pageView.context?.page?.referrer)).toContain('news.example.org');
      expect(stored.find((envelope) => envelope.data.event.type === 'identify')!.data.event).toMatchObject({ userId });

      // The pipeline's answer at the Segment receiver: first touch Email / newsletter, and its track.
      const traits = await waitFor(
        () => {
          const identify = pipeline.receiver
            .accepted()
            .filter(
              (event) =>
                event.type === 'identify' && event.userId === userId && (event.traits as ReceivedEvent | undefined)?.source_first_channel,
            )
            .at(-1);
          return identify?.traits as Record<string, unknown> | undefined;
        },
        { timeoutMs: 90_000, description: `${userId}'s identify with its first touch` },
      );
      expect(traits).toMatchObject({
        source_first_channel: 'Email',
        source_first_source: 'newsletter',
        source_first_medium: 'email',
        source_first_campaign_name: 'spring',
      });
      const track = await waitFor(
        () =>
          pipeline.receiver
            .accepted()
            .find((event) => event.type === 'track' && event.event === 'Source Identified' && event.anonymousId === anonymousId),
        { timeoutMs: 60_000, description: 'the Source Identified track' },
      );
      expect(track.properties).toMatchObject({ channel: 'Email', source: 'newsletter', campaign_name: 'spring' });

      // Proxy mode: the SDK's own calls, original messageIds, at Segment once each.
      for (const envelope of stored) {
        await waitFor(() => forwardedCount(envelope.data.event.messageId) >= 1, { description: `${envelope.data.event.type} forwarded` });
        expect(forwardedCount(envelope.data.event.messageId)).toBe(1);
      }
      const forwardedPage = pipeline.receiver.accepted().find((event) => event.messageId === pageView.messageId);
      expect(forwardedPage).toMatchObject({ type: 'page', anonymousId, context: { campaign: { source: 'newsletter' } } });
      expect(offsite).toEqual([]);
      await page.context().close();
    },
  );

  it("batches to /b when the SDK is set to, and answers the SDK's telemetry on /m", { timeout: 90_000 }, async () => {
    const { page, anonymousId } = await openPage(allowedPage.origin, '/batched?strategy=batching');
    await page.evaluate(async () => {
      const { analytics } = globalThis as unknown as PageGlobals;
      await Promise.all([analytics.track('Viewed Pricing'), analytics.track('Started Trial'), analytics.track('Invited Team')]);
    });
    const stored = await waitFor(() => rawOf(anonymousId).length >= 3 && rawOf(anonymousId), { description: 'the batched tracks' });
    expect(stored.map((envelope) => envelope.data.event.event).sort()).toEqual(['Invited Team', 'Started Trial', 'Viewed Pricing']);
    // The three came in one request to the batch route (200 answered on /v1/b).
    expect(await ingestMetric(/touchstream_ingest_request_duration_seconds_count\{route="\/v1\/b",status="200"\} (\d+)/)).toBeGreaterThan(
      0,
    );
    await waitFor(async () => (await ingestMetric(/touchstream_ingest_sdk_telemetry_requests_total (\d+)/)) > 0, {
      description: 'the SDK telemetry on /v1/m',
    });
    await page.context().close();
  });

  it('keeps taking @segment/analytics-node on /v1/batch, and forwards its events too', { timeout: 60_000 }, async () => {
    const node = new NodeAnalytics({ writeKey: pipeline.writeKey, host: pipeline.url('ingest'), path: '/v1/batch', flushAt: 1 });
    const messageId = `node-${pipeline.namespace.id}`;
    node.track({ anonymousId: `node-anon-${pipeline.namespace.id}`, event: 'Server Side', messageId });
    await node.closeAndFlush({ timeout: 10_000 });
    await waitFor(() => rawEvents().some((envelope) => envelope.data.event.messageId === messageId), {
      description: 'the analytics-node event',
    });
    await waitFor(() => forwardedCount(messageId) === 1, { description: 'the analytics-node event forwarded' });
  });

  it('refuses a page whose origin is not allowed: the preflight gets 403 and nothing is stored', { timeout: 60_000 }, async () => {
    const refusedBefore = await ingestMetric(/touchstream_ingest_origins_refused_total\{kind="preflight"\} (\d+)/);
    const { page, anonymousId } = await openPage(refusedPage.origin, LANDING);
    const failed = new Promise<string>((resolve) =>
      page.on('requestfailed', (request) => {
        if (request.url().startsWith(pipeline.url('ingest'))) resolve(request.failure()?.errorText ?? 'failed');
      }),
    );
    // Not awaited: the SDK keeps retrying a call the browser could not send.
    await page.evaluate(() => void (globalThis as unknown as PageGlobals).analytics.track('From Elsewhere'));
    expect(await failed).toBeTruthy();
    await waitFor(async () => (await ingestMetric(/touchstream_ingest_origins_refused_total\{kind="preflight"\} (\d+)/)) > refusedBefore, {
      description: 'the refused preflight counted',
    });
    // A later event from the allowed page is on the raw topic: the refused one would be before it.
    const { page: allowed, anonymousId: later } = await openPage(allowedPage.origin, '/after');
    await allowed.evaluate(() => (globalThis as unknown as PageGlobals).analytics.track('After Refusal'));
    await waitFor(() => rawOf(later).length >= 1, { description: 'the later event' });
    expect(rawOf(anonymousId)).toEqual([]);
    await page.context().close();
    await allowed.context().close();
  });
});
