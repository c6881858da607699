import { DAY_MS, HOUR_MS, MINUTE_MS, type AttributionSettings, type ClassifierSettings } from './domain';
import type { AttributionConfig } from './config';

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
