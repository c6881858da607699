import { describe, expect, it } from 'vitest';
import { extractEvents } from './extract-events';

describe('extractEvents', () => {
  it('splits /v1/batch, merging batch-level context and integrations under each event and applying the batch sentAt', () => {
    const result = extractEvents(
      { kind: 'api', route: 'batch' },
      {
        writeKey: 'k',
        sentAt: '2026-01-01T00:00:10.000Z',
        context: { ip: '1.2.3.4', locale: 'en' },
        integrations: { All: false },
        batch: [
          { type: 'page', anonymousId: 'a', context: { locale: 'de' }, writeKey: 'k' },
          { type: 'track', anonymousId: 'a', event: 'E', sentAt: '2026-01-01T00:00:09.000Z', integrations: { Mixpanel: true } },
          'not an object',
        ],
      },
    );
    expect(result).toEqual({
      ok: true,
      value: {
        single: false,
        bodyWriteKey: 'k',
        candidates: [
          {
            type: 'page',
            anonymousId: 'a',
            context: { ip: '1.2.3.4', locale: 'de' },
            integrations: { All: false },
            sentAt: '2026-01-01T00:00:10.000Z',
          },
          {
            type: 'track',
            anonymousId: 'a',
            event: 'E',
            sentAt: '2026-01-01T00:00:09.000Z',
            context: { ip: '1.2.3.4', locale: 'en' },
            integrations: { All: false, Mixpanel: true },
          },
          'not an object',
        ],
      },
    });
  });

  it('takes one event on the single-event routes, its type from the route, its writeKey off', () => {
    expect(extractEvents({ kind: 'api', route: 'track' }, { type: 'page', event: 'E', userId: 'u', writeKey: 'k' })).toEqual({
      ok: true,
      value: { single: true, bodyWriteKey: 'k', candidates: [{ type: 'track', event: 'E', userId: 'u' }] },
    });
  });

  it('reads the three shapes Segment webhooks send', () => {
    const event = { type: 'page', anonymousId: 'a' };
    expect(extractEvents({ kind: 'webhook' }, event)).toEqual({
      ok: true,
      value: { single: true, bodyWriteKey: undefined, candidates: [event] },
    });
    expect(extractEvents({ kind: 'webhook' }, [event, event])).toMatchObject({
      ok: true,
      value: { single: false, candidates: [event, event] },
    });
    expect(extractEvents({ kind: 'webhook' }, { batch: [event] })).toMatchObject({
      ok: true,
      value: { single: false, candidates: [event] },
    });
  });

  it('says what shape a route expects', () => {
    expect(extractEvents({ kind: 'api', route: 'batch' }, [{}])).toEqual({
      ok: false,
      message: '/v1/batch expects a JSON object {"batch": [events]}',
    });
    expect(extractEvents({ kind: 'api', route: 'batch' }, { batch: {} })).toMatchObject({ ok: false });
    expect(extractEvents({ kind: 'api', route: 'identify' }, [])).toEqual({
      ok: false,
      message: '/v1/identify expects one event as a JSON object',
    });
    expect(extractEvents({ kind: 'webhook' }, 'text')).toMatchObject({
      ok: false,
      message: expect.stringContaining('/v1/webhook expects'),
    });
  });
});
