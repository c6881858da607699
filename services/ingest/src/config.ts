import { z } from 'zod';
import { commonEnv, emptyAsUndefined, portSchema } from '@touchstream/platform';
import { parseCorsOrigins } from './domain/cors';
import type { IngestSettings } from './domain/ingestor';

const positiveInt = (fallback: number) => z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(fallback));

/** "key1, key2" -> ['key1', 'key2']. A key is the Basic-auth user name, so it cannot hold a colon. */
const writeKeysSchema = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const keys = (value ?? '')
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key.length > 0);
      for (const key of keys) {
        if (key.includes(':')) ctx.addIssue({ code: 'custom', message: 'a write key cannot contain ":" (it is the Basic-auth user name)' });
      }
      return keys;
    }),
);

/** "https://www.example.com, https://*.example.com": the pages whose browser SDK may send here (none by default). */
const corsOriginsSchema = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const parsed = parseCorsOrigins(value);
    if (parsed.ok) return parsed.policy;
    for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });

/**
 * Validated once at boot. Secrets come from the environment only.
 * - INGEST_WRITE_KEYS unset: the Tracking API routes answer 401 to everyone, saying to set it.
 * - SEGMENT_SHARED_SECRET unset: /v1/webhook accepts unsigned requests (Segment's secret is
 *   optional); the service logs a warning at boot. Set it in production.
 */
export const ingestConfigSchema = z.object({
  ...commonEnv,
  INGEST_PORT: portSchema.default(3000),
  INGEST_WRITE_KEYS: writeKeysSchema,
  SEGMENT_SHARED_SECRET: z.preprocess(emptyAsUndefined, z.string().optional()),
  /**
   * What X-Signature must cover. `body` (default): the whole raw body. `first-event`: a JSON-array
   * body signed over its first element only is accepted too, but only that first event; every
   * later one is refused to the rejected topic (it is not authenticated). docs/operations.md.
   */
  SEGMENT_SIGNATURE_SCOPE: z.preprocess(emptyAsUndefined, z.enum(['body', 'first-event']).default('body')),
  /** Segment's own limits: 32 KB per event, 500 KB per request, 2,500 events per batch. */
  INGEST_MAX_EVENT_BYTES: positiveInt(32_768),
  INGEST_MAX_REQUEST_BYTES: positiveInt(512_000),
  INGEST_MAX_BATCH_EVENTS: positiveInt(2_500),
  /** How long a request waits for the broker's acks=all before it answers 503 (Segment gives up after 5 s). */
  INGEST_ACK_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(100).max(4_500).default(3_000)),
  /** Retry-After on a 503. */
  INGEST_RETRY_AFTER_SECONDS: positiveInt(5),
  /** Events waiting for acks beyond which new requests are shed with 503 at once (bounds memory during an outage). */
  INGEST_MAX_PENDING_EVENTS: positiveInt(50_000),
  /** Browser origins allowed to call the Tracking API (CORS); nothing by default. */
  INGEST_CORS_ORIGINS: corsOriginsSchema,
});
export type IngestConfig = z.output<typeof ingestConfigSchema>;

/** The service's settings, derived once from the validated config. */
export function ingestSettingsFrom(config: IngestConfig): IngestSettings {
  return {
    limits: {
      maxEventBytes: config.INGEST_MAX_EVENT_BYTES,
      maxRequestBytes: config.INGEST_MAX_REQUEST_BYTES,
      maxBatchEvents: config.INGEST_MAX_BATCH_EVENTS,
    },
    writeKeys: config.INGEST_WRITE_KEYS,
    sharedSecret: config.SEGMENT_SHARED_SECRET,
    signatureScope: config.SEGMENT_SIGNATURE_SCOPE,
    ackTimeoutMs: config.INGEST_ACK_TIMEOUT_MS,
    retryAfterSeconds: config.INGEST_RETRY_AFTER_SECONDS,
    maxPendingEvents: config.INGEST_MAX_PENDING_EVENTS,
  };
}
