import { describe, expect, it } from 'vitest';
import type { ReferrerCategory } from '@touchstream/contracts';
import { SOURCE_FIELD_KEYS, sourceFieldsOf, userSourcesTraits } from './source-fields';
import { touch, touchSource, userSources } from './testing/fixtures';

const paidFirstTouch = touch({
  touchId: 'touch-first',
  occurredAt: '2023-11-02T08:15:00.000Z',
  url: 'https://shop.example.com/landing?utm_source=google&utm_medium=cpc&utm_campaign=winter&utm_term=boots&utm_content=ad-2&gclid=abc123',
  referrer: 'https://www.google.com/',
  source: touchSource({
    channel: 'Paid Search',
    source: 'google',
    medium: 'cpc',
    campaign: 'winter',
    term: 'boots',
    content: 'ad-2',
    referrerHost: 'www.google.com',
    referrerName: 'Google',
    referrerCategory: 'search',
    clickId: 'abc123',
    clickIdParam: 'gclid',
    landingUrl:
      'https://shop.example.com/landing?utm_source=google&utm_medium=cpc&utm_campaign=winter&utm_term=boots&utm_content=ad-2&gclid=abc123',
  }),
});

const organicLastTouch = touch({
  touchId: 'touch-last',
  occurredAt: '2024-02-10T19:00:00.000Z',
  url: 'https://shop.example.com/blog/post',
  referrer: 'https://duckduckgo.com/?q=winter+boots',
  source: touchSource({
    channel: 'Organic Search',
    source: 'duckduckgo',
    medium: 'organic',
    term: 'winter boots',
    referrerHost: 'duckduckgo.com',
    referrerName: 'DuckDuckGo',
    referrerCategory: 'search',
    searchTerm: 'winter boots',
    landingUrl: 'https://shop.example.com/blog/post',
  }),
});

describe('source fields of a touch', () => {
  it('flattens a user fact into source_first_* and source_last_* traits, exactly', () => {
    const traits = userSourcesTraits(userSources({ firstTouch: paidFirstTouch, lastTouch: organicLastTouch, touchCount: 2 }));
    expect(traits).toEqual({
      source_first_timestamp: '2023-11-02T08:15:00.000Z',
      source_first_channel: 'Paid Search',
      source_first_source: 'google',
      source_first_medium: 'cpc',
      source_first_campaign_name: 'winter',
      source_first_campaign_source: 'google',
      source_first_campaign_medium: 'cpc',
      source_first_campaign_term: 'boots',
      source_first_campaign_content: 'ad-2',
      source_first_url: paidFirstTouch.url,
      source_first_referrer: 'https://www.google.com/',
      source_first_referrer_host: 'www.google.com',
      source_first_referrer_type: 'search',
      source_first_referrer_engine: 'Google',
      source_first_click_id: 'abc123',
      source_first_click_id_type: 'gclid',
      source_last_timestamp: '2024-02-10T19:00:00.000Z',
      source_last_channel: 'Organic Search',
      source_last_source: 'duckduckgo',
      source_last_medium: 'organic',
      source_last_url: 'https://shop.example.com/blog/post',
      source_last_referrer: 'https://duckduckgo.com/?q=winter+boots',
      source_last_referrer_host: 'duckduckgo.com',
      source_last_referrer_type: 'search',
      source_last_referrer_engine: 'DuckDuckGo',
      source_last_search_term: 'winter boots',
    });
  });

  it('omits unknown values: no null, no empty string, no undefined key', () => {
    const direct = sourceFieldsOf(
      touch({ url: '', referrer: null, source: touchSource({ channel: 'Direct', source: '(direct)', medium: '(none)', campaign: '  ' }) }),
    );
    expect(direct).toEqual({ timestamp: '2024-03-01T10:00:00.000Z', channel: 'Direct', source: '(direct)', medium: '(none)' });
    expect(Object.values(direct).every((value) => typeof value === 'string' && value.length > 0)).toBe(true);
  });

  it('gives no traits for a fact that clears attribution', () => {
    expect(userSourcesTraits(userSources({ firstTouch: null, lastTouch: null, touchCount: 0 }))).toEqual({});
  });

  it('fills campaign_* only for tagged visits, and leaves "(not set)" out of them', () => {
    const utmSourceOnly = sourceFieldsOf(
      touch({
        url: 'https://a.example/?utm_source=newsletter',
        source: touchSource({ channel: 'Unassigned', source: 'newsletter', medium: '(not set)' }),
      }),
    );
    expect(utmSourceOnly).toMatchObject({ source: 'newsletter', medium: '(not set)', campaign_source: 'newsletter' });
    expect(utmSourceOnly).not.toHaveProperty('campaign_medium');

    const clickIdOnly = sourceFieldsOf(
      touch({
        url: 'https://a.example/?gclid=x1',
        source: touchSource({ channel: 'Paid Search', source: 'google', medium: 'cpc', clickId: 'x1', clickIdParam: 'gclid' }),
      }),
    );
    expect(Object.keys(clickIdOnly).filter((key) => key.startsWith('campaign_'))).toEqual([]);

    const utmInFragment = sourceFieldsOf(
      touch({ url: 'https://a.example/#utm_source=x', source: touchSource({ source: 'a', medium: 'referral' }) }),
    );
    expect(utmInFragment).not.toHaveProperty('campaign_source');
  });

  it('keeps the search term out of campaign_term for organic visits', () => {
    const fields = sourceFieldsOf(organicLastTouch);
    expect(fields.search_term).toBe('winter boots');
    expect(fields).not.toHaveProperty('campaign_term');
  });

  it.each<[ReferrerCategory, string | null]>([
    ['search', 'referrer_engine'],
    ['chatbot', 'referrer_engine'],
    ['social', 'referrer_network'],
    ['paid', 'referrer_network'],
    ['email', 'referrer_client'],
    ['unknown', null],
  ])('puts the referrer name of a %s referrer in %s', (category, key) => {
    const fields = sourceFieldsOf(
      touch({
        referrer: 'https://r.example/',
        source: touchSource({ referrerCategory: category, referrerName: 'Name', referrerHost: 'r.example' }),
      }),
    );
    expect(fields.referrer_type).toBe(category);
    const named = ['referrer_engine', 'referrer_network', 'referrer_client'].filter((candidate) => candidate in fields);
    expect(named).toEqual(key === null ? [] : [key]);
  });

  it('uses only the documented keys', () => {
    const keys = Object.keys(sourceFieldsOf(paidFirstTouch));
    expect(keys.every((key) => (SOURCE_FIELD_KEYS as readonly string[]).includes(key))).toBe(true);
  });

  it('prefers the bounded landing URL and falls back to the raw page URL', () => {
    expect(
      sourceFieldsOf(touch({ url: 'https://raw.example/x', source: touchSource({ landingUrl: 'https://raw.example/x-bounded' }) })).url,
    ).toBe('https://raw.example/x-bounded');
    expect(sourceFieldsOf(touch({ url: 'https://raw.example/x' })).url).toBe('https://raw.example/x');
  });
});
