import { describe, expect, it } from 'vitest';
import { validateSegmentEvent } from './validate';

const base = { messageId: 'm-1', anonymousId: 'anon-1', timestamp: '2026-01-02T03:04:05.000Z' };

describe('validateSegmentEvent', () => {
  it.each([
    ['identify', { ...base, type: 'identify', userId: 'u-1', traits: { plan: 'pro' } }],
    ['track', { ...base, type: 'track', event: 'Signed Up', properties: { plan: 'pro' } }],
    ['page', { ...base, type: 'page', name: 'Home', properties: { url: 'https://a.example/' } }],
    ['screen', { ...base, type: 'screen', name: 'Home' }],
    ['group', { ...base, type: 'group', groupId: 'g-1', traits: {} }],
    ['alias', { ...base, type: 'alias', previousId: 'anon-1', userId: 'u-1' }],
  ])('accepts a valid %s and keeps unknown fields intact', (_type, input) => {
    const result = validateSegmentEvent({ ...input, custom: { nested: [1, 2] } });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.event).toMatchObject({ ...input, custom: { nested: [1, 2] } });
  });

  it('turns numeric ids into strings', () => {
    const result = validateSegmentEvent({ type: 'identify', userId: 42 });
    expect(result.ok && result.event.userId).toBe('42');
  });

  it.each([
    ['no identity', { type: 'page' }, 'invalid page: userId: userId or anonymousId is required'],
    ['empty identity', { type: 'page', userId: '', anonymousId: '' }, 'userId or anonymousId is required'],
    ['track without event', { ...base, type: 'track' }, 'invalid track: event:'],
    ['track with empty event', { ...base, type: 'track', event: '' }, 'event name is required for track'],
    ['alias without previousId', { type: 'alias', userId: 'u-1' }, 'invalid alias: previousId:'],
    ['group without groupId', { ...base, type: 'group' }, 'invalid group: groupId:'],
    ['unknown type', { ...base, type: 'pageview' }, 'type must be one of identify, track, page, screen, group, alias'],
    ['missing type', { ...base }, 'type must be one of'],
    ['bad timestamp', { ...base, type: 'page', timestamp: 'yesterday' }, 'timestamp: must be an ISO-8601 timestamp'],
    ['traits not an object', { ...base, type: 'identify', traits: 'x' }, 'invalid identify: traits:'],
  ])('rejects %s with a reason that says what is wrong', (_name, input, reason) => {
    const result = validateSegmentEvent(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it.each([null, 'text', 42, [{ type: 'page' }]])('rejects a non-object (%j)', (input) => {
    const result = validateSegmentEvent(input);
    expect(result).toEqual({ ok: false, reason: 'event must be a JSON object', issues: [{ path: '', message: 'not an object' }] });
  });
});
