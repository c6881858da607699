import { describe, expect, it } from 'vitest';
import { RAW_EVENT_TYPE, TOUCHSTREAM_LIBRARY_NAME } from '@touchstream/contracts';
import type { EventOrigin } from './delivery-item';
import { forwardCall, forwardableSchema, forwardedEvent, shouldForward, type Forwardable } from './forwarding';

const origin: EventOrigin = { topic: 'raw', partition: 0, offset: '7', key: 'anon-1', headers: {}, value: () => '{}' };

function envelope(source: string, event: Record<string, unknown>): Forwardable {
  return forwardableSchema.parse({
    id: 'env-1',
    type: RAW_EVENT_TYPE,
    source,
    occurredAt: '2026-03-01T10:00:00.000Z',
    data: { event },
  });
}

const page = {
  type: 'page',
  messageId: 'ajs-next-1',
  anonymousId: 'anon-1',
  timestamp: '2026-03-01T10:00:00.000Z',
  sentAt: '2026-03-01T11:00:00.100Z',
  receivedAt: '2026-03-01T10:00:00.100Z',
  properties: { url: 'https://www.example.com/?utm_source=newsletter' },
  context: { library: { name: 'analytics.js', version: 'npm:next-1.84.3' }, page: { referrer: 'https://news.example.org/' } },
  integrations: { 'Segment.io': true },
  _metadata: { bundled: ['Segment.io'], unbundled: [] },
};

describe('forwarding SDK events to Segment', () => {
  it('forwards only what came in through the Tracking API routes, never what came from Segment', () => {
    expect(shouldForward(envelope('api', page))).toBe(true);
    expect(shouldForward(envelope('webhook', page))).toBe(false);
    expect(shouldForward(envelope('import', page))).toBe(false);
  });

  it("never forwards touchstream's own calls, even when they came in through the API routes", () => {
    const own = { ...page, messageId: 'own-1', context: { library: { name: TOUCHSTREAM_LIBRARY_NAME, version: '0.1.0' } } };
    expect(shouldForward(envelope('api', own))).toBe(false);
  });

  it('keeps every field the SDK sent, messageId included, without the arrival times', () => {
    const forwarded = forwardedEvent(envelope('api', page).data.event);
    const { sentAt: _sentAt, receivedAt: _receivedAt, ...rest } = page;
    expect(forwarded).toEqual(rest);
  });

  it('builds one dispatcher item per event, typed by its call, and dead-letters one over the per-event limit', () => {
    const call = forwardCall(envelope('api', page), origin, 32_000);
    expect(call.sendable).toBe(true);
    expect(call.item).toMatchObject({ messageId: 'ajs-next-1', call: 'page', subjectKey: null, mark: { call: 'forward' }, origin });
    expect(JSON.parse(call.item.json)).toMatchObject({ messageId: 'ajs-next-1', timestamp: page.timestamp });
    expect(call.item.bytes).toBe(Buffer.byteLength(call.item.json));

    const big = forwardCall(envelope('api', { ...page, properties: { blob: 'é'.repeat(600) } }), origin, 1_000);
    expect(big.sendable).toBe(false);
    if (!big.sendable) expect(big.reason).toMatch(/over the limit of 1000 bytes per event/);
  });
});
