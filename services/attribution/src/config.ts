import { z } from 'zod';
import { LAST_TOUCH_MODELS } from '@touchstream/contracts';
import { DAY_MS, HOUR_MS, MINUTE_MS, type AttributionSettings, type ClassifierSettings } from './domain';
import { commonEnv, databaseEnv, emptyAsUndefined, outboxEnv, portSchema, schemaNameSchema } from '@touchstream/platform';

const boundedInt = (fallback: number, min: number, max: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(min).max(max).default(fallback));

/** "a.com, b.com" -> ['a.com', 'b.com']: hosts or URLs, each matching its subdomains too. */
const domainListSchema = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const domains = (value ?? '')
        .split(',')
        .map((domain) => domain.trim().toLowerCase())
        .filter((domain) => domain.length > 0);
      for (const domain of domains) {
        if (!/^(\*\.)?[a-z0-9.-]+$|^https?:\/\//.test(domain)) ctx.addIssue({ code: 'custom', message: `not a host name: ${domain}` });
      }
      return domains;
    }),
);

/**
 * Validated once at boot (README "configuration"):
 * - ATTRIBUTION_SESSION_TIMEOUT_MINUTES: inactivity that ends a session (30).
 * - ATTRIBUTION_SESSION_MAX_HOURS: longest session (24).
 * - ATTRIBUTION_LAST_TOUCH_MODEL: last-non-direct (default) or last-touch.
 * - ATTRIBUTION_LOOKBACK_DAYS: how far back a known source outranks a later Direct touch (90).
 * - SITE_DOMAINS: the site's own domains (apex covers subdomains): referrers there are internal.
 * - UNWANTED_REFERRALS: referrers that are never a source (payment, sign-in), added to the
 *   built-in list (checkout.stripe.com, paypal.com, accounts.google.com, ...).
 * - ATTRIBUTION_CONSUMER_GROUP: Kafka consumer group (a new group replays from the beginning).
 * - ATTRIBUTION_CONSUMER_SESSION_TIMEOUT_MS: how long a silent (killed) consumer keeps its partitions
 *   (10 s; docs/operations.md, "Recovery after a killed consumer").
 * - ATTRIBUTION_CONSUMER_CONCURRENCY: partitions one instance applies at the same time (4: one
 *   batch's Node work overlaps another's SQL; 1 leaves a core idle, docs/benchmarks-attribution.md).
 */
export const attributionConfigSchema = z
  .object({
    ...commonEnv,
    ...databaseEnv,
    ...outboxEnv,
    ATTRIBUTION_PORT: portSchema.default(3002),
    ATTRIBUTION_DB_SCHEMA: schemaNameSchema.default('attribution'),
    ATTRIBUTION_CONSUMER_GROUP: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^[a-zA-Z0-9._-]{1,200}$/)
        .default('attribution'),
    ),
    ATTRIBUTION_CONSUMER_SESSION_TIMEOUT_MS: boundedInt(10_000, 6_000, 300_000),
    ATTRIBUTION_CONSUMER_CONCURRENCY: boundedInt(4, 1, 32),
    ATTRIBUTION_SESSION_TIMEOUT_MINUTES: boundedInt(30, 1, 24 * 60),
    ATTRIBUTION_SESSION_MAX_HOURS: boundedInt(24, 1, 7 * 24),
    ATTRIBUTION_LAST_TOUCH_MODEL: z.preprocess(emptyAsUndefined, z.enum(LAST_TOUCH_MODELS).default('last-non-direct')),
    ATTRIBUTION_LOOKBACK_DAYS: boundedInt(90, 1, 3650),
    SITE_DOMAINS: domainListSchema,
    UNWANTED_REFERRALS: domainListSchema,
  })
  .refine((config) => config.ATTRIBUTION_SESSION_MAX_HOURS * 60 > config.ATTRIBUTION_SESSION_TIMEOUT_MINUTES, {
    message: 'ATTRIBUTION_SESSION_MAX_HOURS must be longer than ATTRIBUTION_SESSION_TIMEOUT_MINUTES',
    path: ['ATTRIBUTION_SESSION_MAX_HOURS'],
  });
export type AttributionConfig = z.output<typeof attributionConfigSchema>;

export const ATTRIBUTION_OPTIONS = Symbol('ATTRIBUTION_OPTIONS');

/** The service's settings, derived once from the validated config. */
export interface AttributionOptions {
  settings: AttributionSettings;
  classifier: ClassifierSettings;
  schema: string;
  consumerGroup: string;
  consumerSessionTimeoutMs: number;
  consumerConcurrency: number;
}

export function attributionOptionsFrom(config: AttributionConfig): AttributionOptions {
  return {
    settings: {
      timeoutMs: config.ATTRIBUTION_SESSION_TIMEOUT_MINUTES * MINUTE_MS,
      maxDurationMs: config.ATTRIBUTION_SESSION_MAX_HOURS * HOUR_MS,
      lastTouchModel: config.ATTRIBUTION_LAST_TOUCH_MODEL,
      lookbackMs: config.ATTRIBUTION_LOOKBACK_DAYS * DAY_MS,
    },
    classifier: { siteDomains: config.SITE_DOMAINS, extraUnwantedReferrals: config.UNWANTED_REFERRALS },
    schema: config.ATTRIBUTION_DB_SCHEMA,
    consumerGroup: config.ATTRIBUTION_CONSUMER_GROUP,
    consumerSessionTimeoutMs: config.ATTRIBUTION_CONSUMER_SESSION_TIMEOUT_MS,
    consumerConcurrency: config.ATTRIBUTION_CONSUMER_CONCURRENCY,
  };
}
