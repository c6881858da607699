import { describe, expect, it } from 'vitest';
import { encodeCursor, timelineQuerySchema } from './debug-queries.schema';

describe('timeline query', () => {
  it('takes one subject, a limit and a cursor or timestamp', () => {
    expect(timelineQuerySchema.parse({ userId: 'u1' })).toEqual({ userId: 'u1', limit: 50 });
    const cursor = encodeCursor({ timestamp: '2026-03-01T10:00:00.000Z', messageId: 'm 1' });
    expect(timelineQuerySchema.parse({ anonymousId: 'a1', limit: '10', before: cursor })).toEqual({
      anonymousId: 'a1',
      limit: 10,
      before: { timestamp: '2026-03-01T10:00:00.000Z', messageId: 'm 1' },
    });
    expect(timelineQuerySchema.parse({ userId: 'u1', before: '2026-03-01T11:00:00+01:00' }).before).toEqual({
      timestamp: '2026-03-01T10:00:00.000Z',
      messageId: '',
    });
  });

  it.each<[Record<string, unknown>, string]>([
    [{}, 'neither id'],
    [{ userId: 'u', anonymousId: 'a' }, 'both ids'],
    [{ userId: '' }, 'an empty id'],
    [{ userId: 'u', limit: '0' }, 'limit 0'],
    [{ userId: 'u', limit: '501' }, 'limit over the cap'],
    [{ userId: 'u', limit: 'ten' }, 'a limit that is no number'],
    [{ userId: 'u', limit: ['1', '2'] }, 'a repeated limit'],
    [{ userId: ['u', 'v'] }, 'a repeated id'],
    [{ userId: 'u', before: 'yesterday' }, 'a before that is neither timestamp nor cursor'],
    [{ userId: 'u', before: Buffer.from('["not a time","m"]').toString('base64url') }, 'a forged cursor'],
    [{ userid: 'u' }, 'an unknown parameter'],
  ])('refuses %j (%s)', (query) => {
    expect(timelineQuerySchema.safeParse(query).success).toBe(false);
  });
});
