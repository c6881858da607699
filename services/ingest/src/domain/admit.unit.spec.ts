import { describe, expect, it } from 'vitest';
import { rawEventSchema, rejectedEventSchema } from '@touchstream/contracts';
import { admitEvents, rejectedEventMessage } from './admit';

const receivedAt = new Date('2026-02-01T12:00:00.000Z');
const context = { source: 'api' as const, receivedAt, limits: { maxEventBytes: 2_000, maxBatchEvents: 3 } };
const page = (messageId: string, extra: Record<string, unknown> = {}) => ({
  type: 'page',
  messageId,
  anonymousId: `anon-${messageId}`,
  ...extra,
});

describe('admitEvents', () => {
  it('turns valid events into raw-topic messages keyed by anonymousId, else userId', () => {
    const { accepted, rejected } = admitEvents([page('m1'), { type: 'identify', userId: 'u-9', messageId: 'm2' }], context);
    expect(rejected).toEqual([]);
    expect(accepted.map((message) => message.key)).toEqual(['anon-m1', 'u-9']);
    const raw = rawEventSchema.parse(JSON.parse(accepted[0]?.value as string));
    expect(raw).toMatchObject({
      source: 'api',
      correlationId: 'm1',
      data: { event: { messageId: 'm1', receivedAt: receivedAt.toISOString() } },
    });
    expect(accepted[0]?.headers).toMatchObject({ 'x-event-id': raw.id, 'x-correlation-id': 'm1' });
  });

  it('rejects invalid, oversized and over-the-limit events with their index, messageId and reason', () => {
    const { accepted, rejected } = admitEvents(
      [page('ok'), { type: 'track', messageId: 'bad' }, page('fat', { properties: { blob: 'é'.repeat(1_000) } }), page('late')],
      context,
    );
    expect(accepted).toHaveLength(1);
    expect(rejected.map(({ index, messageId, code }) => ({ index, messageId, code }))).toEqual([
      { index: 1, messageId: 'bad', code: 'invalid_event' },
      { index: 2, messageId: 'fat', code: 'event_too_large' },
      { index: 3, messageId: 'late', code: 'over_batch_limit' },
    ]);
    expect(rejected[0]?.reason).toContain('invalid track: event:');
    expect(rejected[1]?.reason).toMatch(/^event is 20\d\d bytes, over the limit of 2000 bytes per event/);
    expect(rejected[2]?.reason).toBe('event 3 is past the limit of 3 events per batch (INGEST_MAX_BATCH_EVENTS): send it in another batch');
    expect(rejected[1]?.payload).toEqual(page('fat', { properties: { blob: 'é'.repeat(1_000) } }));
  });

  it('gives no messageId for a rejected event that came without one', () => {
    expect(admitEvents([{ type: 'page' }, 'text'], context).rejected.map((rejection) => rejection.messageId)).toEqual([null, null]);
  });
});

describe('rejectedEventMessage', () => {
  it('builds a contract-valid message whose id is the same for the same refusal', () => {
    const refused = { reason: 'bad', issues: [{ path: '', message: 'bad' }], messageId: 'm-1', index: 4, payload: { x: 1 } };
    const message = rejectedEventMessage(refused, { source: 'webhook', receivedAt, channel: '/v1/webhook' });
    const value = rejectedEventSchema.parse(JSON.parse(message.value as string));
    expect(value).toMatchObject({
      source: 'webhook',
      correlationId: 'm-1',
      data: { origin: { channel: '/v1/webhook', index: 4 }, payload: { x: 1 } },
    });
    expect(message.key).toBe('m-1');
    const again = rejectedEventMessage({ ...refused, index: 0 }, { source: 'webhook', receivedAt: new Date(), channel: '/v1/webhook' });
    expect(JSON.parse(again.value as string).id).toBe(value.id);
    const anonymous = rejectedEventMessage({ ...refused, messageId: null }, { source: 'api', receivedAt, channel: '/v1/batch' });
    expect(anonymous.key).toBe(JSON.parse(anonymous.value as string).id);
  });
});
