import { describe, expect, it } from 'vitest';
import { TOUCHSTREAM_LIBRARY_NAME } from '@touchstream/contracts';
import { readPageView } from './page-view-reader';

const base = { messageId: 'm-1', timestamp: '2026-03-01T10:00:00.000Z' };

describe('page view reader', () => {
  it('prefers context.page over properties, and the anonymousId over the userId', () => {
    const view = readPageView({
      ...base,
      type: 'page',
      anonymousId: 'a-1',
      userId: 'u-1',
      context: { page: { url: 'https://a.example/', referrer: 'https://r.example/' } },
      properties: { url: 'https://b.example/' },
    });
    expect(view).toMatchObject({ visitor: { kind: 'anonymous', id: 'a-1' }, url: 'https://a.example/', referrer: 'https://r.example/' });
  });

  it('treats blank and non-string values as missing, and falls back to receivedAt for a broken timestamp', () => {
    const view = readPageView({
      ...base,
      type: 'page',
      anonymousId: 'a-1',
      timestamp: 'soon',
      receivedAt: '2026-03-02T00:00:00.000Z',
      context: { page: { url: '  ', referrer: 42 } },
    });
    expect(view).toMatchObject({ url: null, referrer: null, at: Date.parse('2026-03-02T00:00:00.000Z') });
  });

  it('has no page view without an id or without any usable time', () => {
    expect(readPageView({ ...base, type: 'page' })).toBeNull();
    expect(readPageView({ ...base, type: 'page', anonymousId: 'a-1', timestamp: 'never' })).toBeNull();
  });

  it("reads no page view from touchstream's own Source Identified track, which carries the touch's URL", () => {
    const track = {
      ...base,
      type: 'track',
      anonymousId: 'a-1',
      userId: 'u-1',
      properties: { url: 'https://a.example/?utm_source=news', referrer: 'https://r.example/' },
    };
    expect(readPageView({ ...track, context: { library: { name: TOUCHSTREAM_LIBRARY_NAME, version: '0.1.0' } } })).toBeNull();
    expect(readPageView({ ...track, context: { library: { name: 'analytics-node', version: '3' } } })).not.toBeNull();
  });
});
