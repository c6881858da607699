import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTouchstreamCall } from '@touchstream/contracts';
import { ConfigError, loadConfig } from '@touchstream/platform';
import { segmentSinkConfigSchema, sinkSettingsFrom } from './config';

const load = (env: Record<string, string>) => loadConfig(segmentSinkConfigSchema, env);

describe('segment-sink configuration', () => {
  it('takes the standard proxy variables for its calls to Segment, and none by default', () => {
    expect(sinkSettingsFrom(load({})).egressProxy).toBeUndefined();
    expect(sinkSettingsFrom(load({ https_proxy: 'http://proxy.internal:3128', NO_PROXY: '.corp' })).egressProxy).toEqual({
      httpsProxy: 'http://proxy.internal:3128',
      httpProxy: undefined,
      noProxy: '.corp',
    });
  });

  it('signs its calls with the library name the consumers recognise as their own output', () => {
    const { library } = sinkSettingsFrom(load({})).calls;
    expect(isTouchstreamCall({ context: { library } })).toBe(true);
  });

  it('runs dry by default when no write key is set, on its own consumer group', () => {
    const settings = sinkSettingsFrom(load({}));
    expect(settings).toMatchObject({
      dryRun: true,
      dryRunFile: resolve('.cache', 'segment-dry-run.ndjson'),
      consumerGroup: 'segment-sink-dry-run',
      apiHost: 'https://api.segment.io',
      calls: { sourceIdentifiedEvent: 'Source Identified' },
      decisions: { mode: 'live', identifyAnonymous: true, trackSince: null },
      limits: { maxEventBytes: 32_000, maxRequestBytes: 480_000, maxBatchEvents: 2_500 },
      flushIntervalMs: 500,
      rateLimitRps: 100,
      maxInFlight: 8,
      requestTimeoutMs: 10_000,
      retry: { initialDelayMs: 500, maxDelayMs: 60_000, maxRetryAfterMs: 300_000 },
      consumerSessionTimeoutMs: 30_000,
      consumerBackoffMaxMs: 5_000,
      deliveryBudgetMs: 15_000,
    });
  });

  it('takes the consumer session timeout, and keeps a batch and one backoff inside it (heartbeats come only between them)', () => {
    const short = sinkSettingsFrom(load({ SINK_CONSUMER_SESSION_TIMEOUT_MS: '6000' }));
    expect(short).toMatchObject({ consumerSessionTimeoutMs: 6_000, deliveryBudgetMs: 3_000, consumerBackoffMaxMs: 1_500 });
    const long = sinkSettingsFrom(load({ SINK_CONSUMER_SESSION_TIMEOUT_MS: '120000', SINK_MAX_RETRY_DELAY_MS: '2000' }));
    expect(long).toMatchObject({ consumerSessionTimeoutMs: 120_000, deliveryBudgetMs: 15_000, consumerBackoffMaxMs: 2_000 });
    expect(sinkSettingsFrom(load({ SINK_CONSUMER_SESSION_TIMEOUT_MS: '' })).consumerSessionTimeoutMs).toBe(30_000);
    for (const value of ['5999', '300001', '6.5', 'soon'])
      expect(() => load({ SINK_CONSUMER_SESSION_TIMEOUT_MS: value }), value).toThrow(/SINK_CONSUMER_SESSION_TIMEOUT_MS/);
  });

  it('writes its dry-run file under DATA_DIR, unless the file is given as an absolute path', () => {
    expect(sinkSettingsFrom(load({ DATA_DIR: '/var/lib/touchstream' })).dryRunFile).toBe('/var/lib/touchstream/segment-dry-run.ndjson');
    expect(sinkSettingsFrom(load({ DATA_DIR: '/data', SINK_DRY_RUN_FILE: 'out/batches.ndjson' })).dryRunFile).toBe(
      '/data/out/batches.ndjson',
    );
    expect(sinkSettingsFrom(load({ DATA_DIR: '/data', SINK_DRY_RUN_FILE: '/tmp/x.ndjson' })).dryRunFile).toBe('/tmp/x.ndjson');
    expect(sinkSettingsFrom(load({ DATA_DIR: 'relative/data' })).dryRunFile).toBe(resolve('relative/data/segment-dry-run.ndjson'));
  });

  it('sends for real with a write key, to the EU host when asked', () => {
    const settings = sinkSettingsFrom(load({ SEGMENT_WRITE_KEY: 'wk', SEGMENT_API_HOST: 'events.eu1.segmentapis.com/' }));
    expect(settings).toMatchObject({
      dryRun: false,
      consumerGroup: 'segment-sink',
      apiHost: 'https://events.eu1.segmentapis.com',
      writeKey: 'wk',
    });
    expect(sinkSettingsFrom(load({ SEGMENT_WRITE_KEY: 'wk', SINK_DRY_RUN: 'true' })).dryRun).toBe(true);
  });

  it('reads the mode, TRACK_SINCE, the event name and the anonymous identify switch', () => {
    const settings = sinkSettingsFrom(
      load({ SINK_MODE: 'backfill', TRACK_SINCE: '2024-01-01', SOURCE_IDENTIFIED_EVENT: 'Visit Source', SINK_IDENTIFY_ANONYMOUS: 'false' }),
    );
    expect(settings.decisions).toEqual({ mode: 'backfill', identifyAnonymous: false, trackSince: new Date('2024-01-01T00:00:00.000Z') });
    expect(settings.calls.sourceIdentifiedEvent).toBe('Visit Source');
  });

  it("fails at boot on limits above Segment's, a bad host, a bad date, or a forced live run without a key", () => {
    expect(() => load({ SINK_MAX_BATCH_BYTES: '600000' })).toThrow(ConfigError);
    expect(() => load({ SINK_MAX_EVENT_BYTES: '40000' })).toThrow(ConfigError);
    expect(() => load({ SINK_MAX_BATCH_EVENTS: '2501' })).toThrow(ConfigError);
    expect(() => load({ SINK_MAX_BATCH_BYTES: '20000' })).toThrow(/room for at least one event/);
    expect(() => load({ SEGMENT_API_HOST: 'https://api.segment.io/?x=1' })).toThrow(/SEGMENT_API_HOST/);
    expect(() => load({ HTTPS_PROXY: 'proxy.internal:3128' })).toThrow(/HTTPS_PROXY: must be the http\(s\) URL of the proxy/);
    for (const host of ['ftp://api.segment.io', 'htps://api.segment.io', 'https://user:pw@api.segment.io', 'https://', 'api segment io']) {
      expect(() => load({ SEGMENT_API_HOST: host }), host).toThrow(/SEGMENT_API_HOST must be an http\(s\) URL/);
    }
    expect(() => load({ TRACK_SINCE: 'last tuesday' })).toThrow(/TRACK_SINCE/);
    expect(() => load({ SINK_DRY_RUN: 'false' })).toThrow(/needs SEGMENT_WRITE_KEY/);
    expect(() => load({ SINK_MODE: 'replay' })).toThrow(ConfigError);
  });

  it("forwards SDK events only when SEGMENT_PROXY is on, with its own key (else the sink's) and group", () => {
    expect(sinkSettingsFrom(load({ SEGMENT_WRITE_KEY: 'wk' })).proxy).toEqual({ enabled: false });
    expect(sinkSettingsFrom(load({ SEGMENT_WRITE_KEY: 'wk', SEGMENT_PROXY: 'true' })).proxy).toEqual({
      enabled: true,
      writeKey: 'wk',
      consumerGroup: 'segment-proxy',
    });
    expect(
      sinkSettingsFrom(load({ SEGMENT_PROXY: 'true', SEGMENT_PROXY_WRITE_KEY: 'web', SEGMENT_PROXY_CONSUMER_GROUP: 'fwd' })).proxy,
    ).toEqual({ enabled: true, writeKey: 'web', consumerGroup: 'fwd' });
    expect(() => load({ SEGMENT_PROXY: 'true' })).toThrow(/SEGMENT_PROXY_WRITE_KEY/);
    expect(() => load({ SEGMENT_PROXY: 'true', SEGMENT_WRITE_KEY: 'wk', SINK_DRY_RUN: 'true' })).toThrow(/cannot run with SINK_DRY_RUN/);
  });
});
