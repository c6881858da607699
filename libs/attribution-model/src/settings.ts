import type { LastTouchModel } from '@touchstream/contracts';

export const MINUTE_MS = 60 * 1000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** How page views become sessions. */
export interface SessionSettings {
  /** A gap longer than this ends a session (GA4, PostHog, dbt-segment: 30 minutes). */
  timeoutMs: number;
  /** No session lasts this long: the page view at or after start + max opens a new one (PostHog: 24 h). */
  maxDurationMs: number;
}

/** How a subject's first and last touch are chosen. */
export interface ModelSettings {
  lastTouchModel: LastTouchModel;
  /** last-non-direct: a Direct touch does not replace a known source this recent (GA4: 90 days). */
  lookbackMs: number;
}

export type AttributionSettings = SessionSettings & ModelSettings;

export const DEFAULT_SETTINGS: AttributionSettings = {
  timeoutMs: 30 * MINUTE_MS,
  maxDurationMs: 24 * HOUR_MS,
  lastTouchModel: 'last-non-direct',
  lookbackMs: 90 * DAY_MS,
};

/** Half-life of the time-decay model: a touch 7 days before the last one counts half (Google Ads). */
export const TIME_DECAY_HALF_LIFE_MS = 7 * DAY_MS;
