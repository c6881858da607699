import { describe, expect, it } from 'vitest';
import { validateSegmentEvent } from '@touchstream/contracts';
import { camelCase, detectWarehouseTable, normaliseColumns, normaliseTimestamp, rowToEvent } from './warehouse';

function row(table: Parameters<typeof rowToEvent>[0], cells: Record<string, string>) {
  return rowToEvent(table, Object.keys(cells), Object.values(cells));
}

describe('rowToEvent', () => {
  it('maps a pages row to a page call with properties, context.page and context.campaign', () => {
    const event = row('pages', {
      id: 'msg-1',
      anonymous_id: 'anon-1',
      user_id: '',
      name: 'Pricing',
      url: 'https://www.example.com/pricing?utm_source=google',
      path: '/pricing',
      referrer: 'https://www.google.com/',
      search: '?utm_source=google',
      title: 'Pricing',
      context_page_url: 'https://www.example.com/pricing?utm_source=google',
      context_page_referrer: 'https://www.google.com/',
      context_campaign_source: 'google',
      context_campaign_medium: 'cpc',
      context_campaign_name: 'brand',
      context_campaign_term: 'attribution',
      context_campaign_content: 'ad-1',
      context_user_agent: 'Mozilla/5.0',
      context_ip: '192.0.2.1',
      context_library_name: 'analytics.js',
      context_library_version: '1.0',
      context_timezone: 'Europe/Berlin',
      timestamp: '2021-03-04 05:06:07.890 UTC',
      original_timestamp: '2021-03-04 05:06:07.5+00',
      sent_at: '2021-03-04T05:06:08Z',
      received_at: '2021-03-04 05:06:08.1',
      uuid_ts: '2021-03-04 06:00:00',
      plan_variant: 'b',
    });
    expect(event).toEqual({
      type: 'page',
      messageId: 'msg-1',
      anonymousId: 'anon-1',
      name: 'Pricing',
      properties: {
        url: 'https://www.example.com/pricing?utm_source=google',
        path: '/pricing',
        referrer: 'https://www.google.com/',
        search: '?utm_source=google',
        title: 'Pricing',
        plan_variant: 'b',
      },
      context: {
        page: { url: 'https://www.example.com/pricing?utm_source=google', referrer: 'https://www.google.com/' },
        campaign: { source: 'google', medium: 'cpc', name: 'brand', term: 'attribution', content: 'ad-1' },
        userAgent: 'Mozilla/5.0',
        ip: '192.0.2.1',
        library: { name: 'analytics.js', version: '1.0' },
        timezone: 'Europe/Berlin',
      },
      timestamp: '2021-03-04T05:06:07.890Z',
      originalTimestamp: '2021-03-04T05:06:07.5+00:00',
      sentAt: '2021-03-04T05:06:08Z',
      receivedAt: '2021-03-04T05:06:08.1Z',
    });
    expect(validateSegmentEvent(event).ok).toBe(true);
  });

  it('maps identifies columns to traits, reserved traits back to camelCase', () => {
    const event = row('identifies', {
      id: 'msg-2',
      anonymous_id: 'anon-1',
      user_id: 'user-1',
      email: 'ada@example.com',
      first_name: 'Ada',
      created_at: '2021-03-04T05:00:00Z',
      company_name: 'Initech',
      timestamp: '2021-03-04T05:06:07Z',
    });
    expect(event).toEqual({
      type: 'identify',
      messageId: 'msg-2',
      anonymousId: 'anon-1',
      userId: 'user-1',
      traits: { email: 'ada@example.com', firstName: 'Ada', createdAt: '2021-03-04T05:00:00Z', company_name: 'Initech' },
      timestamp: '2021-03-04T05:06:07Z',
    });
    expect(validateSegmentEvent(event).ok).toBe(true);
  });

  it('maps tracks rows with the event name as sent (event_text), else the table name', () => {
    expect(row('tracks', { id: 'm', user_id: 'u', event: 'signed_up', event_text: 'Signed Up' })).toEqual({
      type: 'track',
      messageId: 'm',
      userId: 'u',
      event: 'Signed Up',
    });
    expect(row('tracks', { id: 'm', user_id: 'u', event: 'signed_up' })).toMatchObject({ event: 'signed_up' });
    // No name at all: validation (not the mapper) rejects it, with a reason.
    expect(validateSegmentEvent(row('tracks', { id: 'm', user_id: 'u' }))).toMatchObject({ ok: false });
  });

  it('leaves empty cells out instead of sending "" or null', () => {
    expect(row('pages', { id: 'm', anonymous_id: 'a', user_id: '', url: '', context_campaign_source: '' })).toEqual({
      type: 'page',
      messageId: 'm',
      anonymousId: 'a',
      properties: {},
    });
  });
});

describe('warehouse helpers', () => {
  it('normalises warehouse timestamp text to ISO-8601 and leaves the rest to validation', () => {
    expect(normaliseTimestamp('2024-01-31 12:00:00 UTC')).toBe('2024-01-31T12:00:00Z');
    expect(normaliseTimestamp('2024-01-31 12:00:00.123456+02')).toBe('2024-01-31T12:00:00.123456+02:00');
    expect(normaliseTimestamp('2024-01-31 12:00:00-0530')).toBe('2024-01-31T12:00:00-05:30');
    expect(normaliseTimestamp('2024-01-31T12:00:00.000Z')).toBe('2024-01-31T12:00:00.000Z');
    expect(normaliseTimestamp('yesterday')).toBe('yesterday');
    for (const text of ['2024-01-31 12:00:00 UTC', '2024-01-31 12:00:00.123456+02', '2024-01-31 12:00:00-0530']) {
      expect(Number.isNaN(Date.parse(normaliseTimestamp(text)))).toBe(false);
    }
  });

  it('detects the table from the file name first, then from the header', () => {
    expect(detectWarehouseTable('/x/prod_pages_2024.csv', [])).toBe('pages');
    expect(detectWarehouseTable('identifies.csv.gz', [])).toBe('identifies');
    expect(detectWarehouseTable('tracks-000.csv', [])).toBe('tracks');
    expect(detectWarehouseTable('homepages.csv', ['id', 'anonymous_id', 'url'])).toBe('pages');
    expect(detectWarehouseTable('export.csv', ['id', 'user_id', 'event_text'])).toBe('tracks');
    expect(detectWarehouseTable('export.csv', ['id', 'user_id', 'email'])).toBe('identifies');
    expect(detectWarehouseTable('export.csv', ['colour'])).toBeUndefined();
    expect(normaliseColumns(['\uFEFFID ', ' Anonymous_Id'])).toEqual(['id', 'anonymous_id']);
    expect(camelCase('user_agent_data')).toBe('userAgentData');
  });
});
