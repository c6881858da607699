import { resolve } from 'node:path';
import { z } from 'zod';
import { TOUCHSTREAM_LIBRARY_NAME } from '@touchstream/contracts';
import { booleanText, commonEnv, databaseEnv, emptyAsUndefined, portSchema, schemaNameSchema } from '@touchstream/platform';
import {
  DEFAULT_BATCH_LIMITS,
  SEGMENT_LIMITS,
  checkLimits,
  type BatchLimits,
  type CallSettings,
  type DecisionSettings,
  type RetryPolicy,
} from '@touchstream/segment-delivery';
import { egressProxyFromEnv, type EgressProxySettings } from './segment/egress-proxy';

export const SERVICE_NAME = 'segment-sink';
export const SERVICE_VERSION = '0.1.0';

const int = (min: number, max: number, fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(min).max(max).default(fallback));
const optionalText = z.preprocess(emptyAsUndefined, z.string().optional());
const flag = (fallback: boolean) => z.preprocess(emptyAsUndefined, booleanText.default(fallback));
const optionalFlag = z.preprocess(emptyAsUndefined, booleanText.optional());

/** "https://api.segment.io", "events.eu1.segmentapis.com" or a proxy URL with a path: normalised to a URL without a trailing slash. */
const apiHostSchema = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .default('https://api.segment.io')
    .transform((value, ctx) => {
      // A bare host means https; any other scheme (ftp://, a typo like htps://) is refused, not prefixed.
      const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
      const withScheme = hasScheme ? value : `https://${value}`;
      try {
        const url = new URL(withScheme);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
        if (url.search || url.hash || url.username || url.password || url.hostname === '')
          throw new Error('no query, fragment or credentials');
        return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `SEGMENT_API_HOST must be an http(s) URL (or a bare host, taken as https), e.g. https://events.eu1.segmentapis.com, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
    }),
);

/** A proxy for the calls to Segment (the standard variables, either case): an http(s) URL. */
const proxyUrl = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .refine((value) => {
      try {
        return ['http:', 'https:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, 'must be the http(s) URL of the proxy, e.g. http://proxy.internal:3128')
    .optional(),
);

/**
 * Validated once at boot. Every setting is documented in docs/decisions/0008-segment-sink.md.
 * With no SEGMENT_WRITE_KEY the sink runs dry: batches go to SINK_DRY_RUN_FILE and the log.
 */
export const segmentSinkConfigSchema = z
  .object({
    ...commonEnv,
    ...databaseEnv,
    SINK_PORT: portSchema.default(3003),
    SINK_DB_SCHEMA: schemaNameSchema.default('sink'),
    SEGMENT_WRITE_KEY: optionalText,
    SEGMENT_API_HOST: apiHostSchema,
    HTTPS_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    HTTP_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    NO_PROXY: optionalText,
    no_proxy: optionalText,
    SOURCE_IDENTIFIED_EVENT: z.preprocess(emptyAsUndefined, z.string().min(1).max(200).default('Source Identified')),
    SINK_IDENTIFY_ANONYMOUS: flag(true),
    SINK_MODE: z.preprocess(emptyAsUndefined, z.enum(['live', 'backfill']).default('live')),
    TRACK_SINCE: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .refine((value) => !Number.isNaN(Date.parse(value)), 'TRACK_SINCE must be an ISO-8601 date or timestamp')
        .transform((value) => new Date(value))
        .optional(),
    ),
    SINK_DRY_RUN: optionalFlag,
    /** Relative to DATA_DIR (where the default lands too); an absolute path is taken as it is. */
    SINK_DRY_RUN_FILE: z.preprocess(emptyAsUndefined, z.string().default('segment-dry-run.ndjson')),
    SINK_CONSUMER_GROUP: optionalText,
    /** How long the broker waits for a silent member (a killed process) before handing its partitions on. */
    SINK_CONSUMER_SESSION_TIMEOUT_MS: int(6_000, 300_000, 30_000),
    SINK_FLUSH_INTERVAL_MS: int(0, 60_000, 500),
    SINK_MAX_BATCH_BYTES: int(1_024, SEGMENT_LIMITS.maxRequestBytes, DEFAULT_BATCH_LIMITS.maxRequestBytes),
    SINK_MAX_EVENT_BYTES: int(256, SEGMENT_LIMITS.maxEventBytes, DEFAULT_BATCH_LIMITS.maxEventBytes),
    SINK_MAX_BATCH_EVENTS: int(1, SEGMENT_LIMITS.maxBatchEvents, DEFAULT_BATCH_LIMITS.maxBatchEvents),
    SINK_RATE_LIMIT_RPS: z.preprocess(emptyAsUndefined, z.coerce.number().positive().max(10_000).default(100)),
    SINK_MAX_IN_FLIGHT: int(1, 64, 8),
    SINK_REQUEST_TIMEOUT_MS: int(100, 120_000, 10_000),
    SINK_MAX_RETRY_DELAY_MS: int(100, 600_000, 60_000),
    /** First-party proxy mode: forward every event the SDKs sent to ingest's Tracking API on to Segment. */
    SEGMENT_PROXY: flag(false),
    /** The write key of the Segment source the SDK events belong to; SEGMENT_WRITE_KEY when unset. */
    SEGMENT_PROXY_WRITE_KEY: optionalText,
    SEGMENT_PROXY_CONSUMER_GROUP: z.preprocess(emptyAsUndefined, z.string().min(1).default('segment-proxy')),
  })
  .superRefine((config, ctx) => {
    for (const problem of checkLimits({
      maxEventBytes: config.SINK_MAX_EVENT_BYTES,
      maxRequestBytes: config.SINK_MAX_BATCH_BYTES,
      maxBatchEvents: config.SINK_MAX_BATCH_EVENTS,
    })) {
      ctx.addIssue({ code: 'custom', message: problem, path: ['SINK_MAX_BATCH_BYTES'] });
    }
    if (config.SINK_DRY_RUN === false && config.SEGMENT_WRITE_KEY === undefined) {
      ctx.addIssue({ code: 'custom', message: 'SINK_DRY_RUN=false needs SEGMENT_WRITE_KEY', path: ['SINK_DRY_RUN'] });
    }
    if (config.SEGMENT_PROXY && (config.SEGMENT_PROXY_WRITE_KEY ?? config.SEGMENT_WRITE_KEY) === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'SEGMENT_PROXY=true forwards the SDK events to Segment: set SEGMENT_PROXY_WRITE_KEY (or SEGMENT_WRITE_KEY)',
        path: ['SEGMENT_PROXY'],
      });
    }
    if (config.SEGMENT_PROXY && config.SINK_DRY_RUN === true) {
      ctx.addIssue({
        code: 'custom',
        message: 'SEGMENT_PROXY=true sends to Segment for real: it cannot run with SINK_DRY_RUN=true',
        path: ['SEGMENT_PROXY'],
      });
    }
  });
export type SegmentSinkConfig = z.output<typeof segmentSinkConfigSchema>;

/**
 * How long one consumer batch waits for Segment before it hands back a retriable error: the
 * consumer heartbeats only between batches and between retries, so a batch must finish well
 * inside the session timeout (at most half of it). Requests still retrying keep going; the
 * redelivered batch waits for them again.
 */
export const DELIVERY_BUDGET_MS = 15_000;
/** Longest pause between two attempts of a batch; at most a quarter of the session timeout, for the same reason. */
export const CONSUMER_BACKOFF_MAX_MS = 5_000;

/** The sink's settings (SINK_SETTINGS in the container), derived once from the validated config. */
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

export const SINK_SETTINGS = Symbol('SINK_SETTINGS');

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
