import { resolve } from 'node:path';
import type { BatchLimits, CallSettings, DecisionSettings, RetryPolicy } from '@touchstream/segment-delivery';
import { TOUCHSTREAM_LIBRARY_NAME } from '@touchstream/contracts';
import type { SegmentSinkConfig } from './config';
import { egressProxyFromEnv, type EgressProxySettings } from './segment/egress-proxy';

export const SERVICE_NAME = 'segment-sink';
export const SERVICE_VERSION = '0.1.0';

/**
 * How long one consumer batch waits for Segment before it hands back a retriable error: the
 * consumer heartbeats only between batches and between retries, so a batch must finish well
 * inside the session timeout (at most half of it). Requests still retrying keep going; the
 * redelivered batch waits for them again.
 */
export const DELIVERY_BUDGET_MS = 15_000;
/** Longest pause between two attempts of a batch; at most a quarter of the session timeout, for the same reason. */
export const CONSUMER_BACKOFF_MAX_MS = 5_000;

export interface SinkSettings {
  dryRun: boolean;
  dryRunFile: string;
  writeKey: string | undefined;
  apiHost: string;
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY: the egress proxy the calls to Segment go through, when one is set. */
  egressProxy: EgressProxySettings | undefined;
  consumerGroup: string;
  /** A batch's delivery budget plus one backoff stays inside it (the default: 15 s + 5 s of 30 s). */
  consumerSessionTimeoutMs: number;
  /** Cap of the consumer's backoff between attempts of a batch whose delivery ran out of budget. */
  consumerBackoffMaxMs: number;
  calls: CallSettings;
  decisions: DecisionSettings;
  limits: BatchLimits;
  flushIntervalMs: number;
  rateLimitRps: number;
  maxInFlight: number;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  deliveryBudgetMs: number;
  proxy: ProxySettings;
}

/** First-party proxy mode (docs/decisions: the SDK proxy ADR): off, or on with its write key and group. */
export type ProxySettings = { enabled: false } | { enabled: true; writeKey: string; consumerGroup: string };

export function sinkSettingsFrom(config: SegmentSinkConfig): SinkSettings {
  const dryRun = config.SINK_DRY_RUN ?? config.SEGMENT_WRITE_KEY === undefined;
  return {
    dryRun,
    dryRunFile: resolve(config.DATA_DIR, config.SINK_DRY_RUN_FILE),
    writeKey: config.SEGMENT_WRITE_KEY,
    apiHost: config.SEGMENT_API_HOST,
    egressProxy: egressProxyFromEnv({
      HTTPS_PROXY: config.HTTPS_PROXY,
      https_proxy: config.https_proxy,
      HTTP_PROXY: config.HTTP_PROXY,
      http_proxy: config.http_proxy,
      NO_PROXY: config.NO_PROXY,
      no_proxy: config.no_proxy,
    }),
    // A dry run never commits the live group's offsets: setting the write key later replays everything for real.
    consumerGroup: config.SINK_CONSUMER_GROUP ?? (dryRun ? `${SERVICE_NAME}-dry-run` : SERVICE_NAME),
    consumerSessionTimeoutMs: config.SINK_CONSUMER_SESSION_TIMEOUT_MS,
    consumerBackoffMaxMs: Math.min(
      CONSUMER_BACKOFF_MAX_MS,
      config.SINK_MAX_RETRY_DELAY_MS,
      Math.floor(config.SINK_CONSUMER_SESSION_TIMEOUT_MS / 4),
    ),
    calls: {
      sourceIdentifiedEvent: config.SOURCE_IDENTIFIED_EVENT,
      // The name touchstream's consumers recognise its own calls by when they come back in.
      library: { name: TOUCHSTREAM_LIBRARY_NAME, version: SERVICE_VERSION },
    },
    decisions: { mode: config.SINK_MODE, identifyAnonymous: config.SINK_IDENTIFY_ANONYMOUS, trackSince: config.TRACK_SINCE ?? null },
    limits: {
      maxEventBytes: config.SINK_MAX_EVENT_BYTES,
      maxRequestBytes: config.SINK_MAX_BATCH_BYTES,
      maxBatchEvents: config.SINK_MAX_BATCH_EVENTS,
    },
    flushIntervalMs: config.SINK_FLUSH_INTERVAL_MS,
    rateLimitRps: config.SINK_RATE_LIMIT_RPS,
    maxInFlight: config.SINK_MAX_IN_FLIGHT,
    requestTimeoutMs: config.SINK_REQUEST_TIMEOUT_MS,
    retry: { initialDelayMs: 500, maxDelayMs: config.SINK_MAX_RETRY_DELAY_MS, maxRetryAfterMs: 300_000 },
    deliveryBudgetMs: Math.min(DELIVERY_BUDGET_MS, Math.floor(config.SINK_CONSUMER_SESSION_TIMEOUT_MS / 2)),
    proxy: proxySettingsFrom(config),
  };
}

function proxySettingsFrom(config: SegmentSinkConfig): ProxySettings {
  const writeKey = config.SEGMENT_PROXY_WRITE_KEY ?? config.SEGMENT_WRITE_KEY;
  if (!config.SEGMENT_PROXY || writeKey === undefined) return { enabled: false };
  return { enabled: true, writeKey, consumerGroup: config.SEGMENT_PROXY_CONSUMER_GROUP };
}
