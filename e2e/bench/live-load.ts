import { percentile, until } from '@touchstream/bench';
import { touchIdOf } from '@touchstream/contracts';
import { trackMessageId } from '@touchstream/segment-delivery';
import { PAGES, SITE } from '@touchstream/synthetic-data';
import { Pool } from 'undici';
import type { DeliveryCounter } from './delivery-counter';

export interface LiveLoadOptions {
  ingestUrl: string;
  writeKey: string;
  ratePerSecond: number;
  durationSeconds: number;
  /**
   * Keep-alive connections to ingest. A request due while all are busy waits for one, and that wait
   * counts in its latency (it is timed from when it was due). Many more connections than needed
   * turn a slow moment of ingest into a storm of new connections past its accept backlog.
   */
  connections: number;
  /** Makes messageIds and visitors unique to this run. */
  runId: string;
  delivered: DeliveryCounter;
  /** How long to wait after the last request for the last track. */
  settleTimeoutMs: number;
  log: (line: string) => void;
}

export interface LiveLoadResult {
  ratePerSecond: number;
  durationSeconds: number;
  connections: number;
  planned: number;
  sent: number;
  /** Not sent because too many requests were still unanswered: the load stays bounded. */
  skipped: number;
  /** HTTP status -> requests ("error" when no answer came). */
  statuses: Record<string, number>;
  /** Why requests got no answer: error code or message -> requests. */
  errors: Record<string, number>;
  achievedPerSecond: number;
  httpMs: { p50: number; p99: number; max: number };
  /** Accepted page views whose Source Identified track reached the receiver, and those that did not within the timeout. */
  delivered: number;
  missing: number;
  /** Request sent -> the Segment batch carrying the visitor's Source Identified track arrived at the receiver. */
  endToEndMs: { p50: number; p90: number; p99: number; max: number };
}

/** Bounded: past this many unanswered requests the generator skips sends instead of piling them up. */
const MAX_OUTSTANDING = 1_000;
const LANDINGS = [PAGES.pricing, PAGES.demo, PAGES.blogFirstTouch, PAGES.features];
const SOURCES = [
  { search: '?utm_source=google&utm_medium=cpc&utm_campaign=live-bench&gclid=', referrer: 'https://www.google.com/' },
  { search: '?utm_source=linkedin&utm_medium=paid_social&utm_campaign=live-bench', referrer: 'https://www.linkedin.com/' },
  { search: '', referrer: 'https://duckduckgo.com/' },
  { search: '?utm_source=newsletter&utm_medium=email&utm_campaign=live-bench', referrer: '' },
];

/** A first page view of a new visitor, as analytics.js sends it (about 900 bytes). */
export function pageView(n: number, runId: string): Record<string, unknown> {
  const landing = LANDINGS[n % LANDINGS.length] as (typeof LANDINGS)[number];
  const source = SOURCES[n % SOURCES.length] as (typeof SOURCES)[number];
  const search = source.search.endsWith('gclid=') ? `${source.search}live${n}` : source.search;
  const url = `${SITE.marketingOrigin}${landing.path}${search}`;
  const page = { path: landing.path, referrer: source.referrer, search, title: landing.title, url };
  const now = new Date().toISOString();
  return {
    type: 'page',
    messageId: `live-${runId}-${n}`,
    anonymousId: `live-visitor-${runId}-${n}`,
    timestamp: now,
    sentAt: now,
    name: landing.title,
    properties: page,
    context: {
      page,
      ip: `198.51.100.${n % 250}`,
      locale: 'en-US',
      library: { name: 'analytics.js', version: 'next-1.70.0' },
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    },
  };
}

/**
 * Page views from new visitors into ingest at a fixed rate (open loop: a slow answer does not slow
 * the sending), alternating the Tracking API (`POST /v1/page`, as the SDKs send) and the webhook
 * (`POST /v1/webhook`, as Segment's destination sends). For each one, the time from the request to
 * the arrival at the receiver of the batch carrying its Source Identified track (its messageId is
 * known in advance: trackMessageId(touchIdOf(messageId))).
 */
export async function liveLoad(options: LiveLoadOptions): Promise<LiveLoadResult> {
  const { ratePerSecond, durationSeconds, runId } = options;
  const planned = Math.round(ratePerSecond * durationSeconds);
  const http = new Pool(options.ingestUrl, { connections: options.connections });
  const sdkAuth = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const httpMs: number[] = [];
  const accepted: Array<{ trackId: string; sentAt: number }> = [];
  const answers = new Set<Promise<void>>();
  let skipped = 0;

  const send = (n: number) => {
    const sdk = n % 2 === 0;
    const body = JSON.stringify(pageView(n, runId));
    const sentAt = Date.now();
    const started = performance.now();
    const answer = http
      .request({
        path: sdk ? '/v1/page' : '/v1/webhook',
        method: 'POST',
        headers: sdk
          ? { authorization: sdkAuth, 'content-type': 'application/json' }
          : { 'content-type': 'application/json', 'user-agent': 'Segment.io/1.0' },
        body,
      })
      .then(async (response) => {
        await response.body.text();
        httpMs.push(performance.now() - started);
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        if (response.statusCode === 200) accepted.push({ trackId: trackMessageId(touchIdOf(`live-${runId}-${n}`)), sentAt });
      })
      .catch((error: unknown) => {
        statuses.error = (statuses.error ?? 0) + 1;
        const reason = (error as { code?: string }).code ?? (error as Error).message.slice(0, 80);
        errors[reason] = (errors[reason] ?? 0) + 1;
      })
      .finally(() => answers.delete(answer));
    answers.add(answer);
  };

  options.log(
    `live load: ${planned.toLocaleString('en')} page views at ${ratePerSecond}/s for ${durationSeconds} s, SDK and webhook alternating, ${options.connections} connections`,
  );
  const started = performance.now();
  let next = 0;
  while (next < planned) {
    const due = Math.min(planned, Math.floor(((performance.now() - started) / 1000) * ratePerSecond) + 1);
    for (; next < due; next += 1) {
      if (answers.size >= MAX_OUTSTANDING) skipped += 1;
      else send(next);
    }
    await new Promise((done) => setTimeout(done, 5));
  }
  // The rate achieved while sending (up to the last request sent), not counting the wait for the last answers.
  const sendingSeconds = (performance.now() - started) / 1000;
  await Promise.all(answers);
  await http.close();

  const latencies: number[] = [];
  const waitingFor = new Set(accepted);
  await until(
    () => {
      for (const item of waitingFor) {
        const arrived = options.delivered.arrivedAt(item.trackId);
        if (arrived === undefined) continue;
        latencies.push(arrived - item.sentAt);
        waitingFor.delete(item);
      }
      return waitingFor.size === 0 ? true : undefined;
    },
    options.settleTimeoutMs,
    'the live tracks',
    100,
  ).catch(() =>
    options.log(`live load: ${waitingFor.size} tracks had not arrived ${options.settleTimeoutMs / 1000} s after the last request`),
  );

  latencies.sort((a, b) => a - b);
  httpMs.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms);
  return {
    ratePerSecond,
    durationSeconds,
    connections: options.connections,
    planned,
    sent: planned - skipped,
    skipped,
    statuses,
    errors,
    achievedPerSecond: Math.round((planned - skipped) / sendingSeconds),
    httpMs: { p50: round(percentile(httpMs, 50)), p99: round(percentile(httpMs, 99)), max: round(httpMs.at(-1) ?? 0) },
    delivered: latencies.length,
    missing: waitingFor.size,
    endToEndMs: {
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? 0),
    },
  };
}
