import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@touchstream/platform';
import { attributionConfigSchema, attributionOptionsFrom } from './config';

describe('attribution config', () => {
  it('has documented defaults', () => {
    const config = loadConfig(attributionConfigSchema, {});
    expect(config).toMatchObject({
      ATTRIBUTION_PORT: 3002,
      ATTRIBUTION_DB_SCHEMA: 'attribution',
      ATTRIBUTION_CONSUMER_GROUP: 'attribution',
      ATTRIBUTION_CONSUMER_CONCURRENCY: 4,
      ATTRIBUTION_SESSION_TIMEOUT_MINUTES: 30,
      ATTRIBUTION_SESSION_MAX_HOURS: 24,
      ATTRIBUTION_LAST_TOUCH_MODEL: 'last-non-direct',
      ATTRIBUTION_LOOKBACK_DAYS: 90,
      OUTBOX_KEEP_SENT_MINUTES: 0,
      SITE_DOMAINS: [],
      UNWANTED_REFERRALS: [],
    });
    expect(attributionOptionsFrom(config).settings).toEqual({
      timeoutMs: 30 * 60_000,
      maxDurationMs: 24 * 3_600_000,
      lastTouchModel: 'last-non-direct',
      lookbackMs: 90 * 86_400_000,
    });
  });

  it('keeps published outbox rows only when asked, for a bounded time', () => {
    expect(loadConfig(attributionConfigSchema, { OUTBOX_KEEP_SENT_MINUTES: '60' }).OUTBOX_KEEP_SENT_MINUTES).toBe(60);
    expect(() => loadConfig(attributionConfigSchema, { OUTBOX_KEEP_SENT_MINUTES: '-1' })).toThrow(/OUTBOX_KEEP_SENT_MINUTES/);
    expect(() => loadConfig(attributionConfigSchema, { OUTBOX_KEEP_SENT_MINUTES: 'a day' })).toThrow(ConfigError);
  });

  it('reads comma-separated domain lists, trimmed and lower-cased', () => {
    const config = loadConfig(attributionConfigSchema, {
      SITE_DOMAINS: ' Shop.example, *.shop-cdn.example ,',
      UNWANTED_REFERRALS: 'sso.partner.example',
    });
    expect(config.SITE_DOMAINS).toEqual(['shop.example', '*.shop-cdn.example']);
    expect(attributionOptionsFrom(config).classifier).toEqual({
      siteDomains: ['shop.example', '*.shop-cdn.example'],
      extraUnwantedReferrals: ['sso.partner.example'],
    });
  });

  it('refuses wrong values at boot, listing every problem', () => {
    const error = (() => {
      try {
        loadConfig(attributionConfigSchema, {
          ATTRIBUTION_LAST_TOUCH_MODEL: 'first-touch',
          ATTRIBUTION_LOOKBACK_DAYS: '0',
          SITE_DOMAINS: 'shop example',
          ATTRIBUTION_SESSION_TIMEOUT_MINUTES: 'soon',
        });
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['ATTRIBUTION_LAST_TOUCH_MODEL', 'ATTRIBUTION_LOOKBACK_DAYS', 'SITE_DOMAINS', 'ATTRIBUTION_SESSION_TIMEOUT_MINUTES'])
      expect(problems).toContain(name);
  });

  it('refuses a session cap shorter than the inactivity timeout', () => {
    expect(() =>
      loadConfig(attributionConfigSchema, { ATTRIBUTION_SESSION_TIMEOUT_MINUTES: '120', ATTRIBUTION_SESSION_MAX_HOURS: '1' }),
    ).toThrow(/ATTRIBUTION_SESSION_MAX_HOURS/);
  });
});
