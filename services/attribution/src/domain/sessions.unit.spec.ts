import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionIdOf, touchIdOf, type Channel } from '@touchstream/contracts';
import type { PageViewFact } from './page-view';
import { detectTouches, sessionize } from './sessions';
import { DEFAULT_SETTINGS, HOUR_MS, MINUTE_MS } from './settings';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const at = (minutes: number) => T0 + minutes * MINUTE_MS;

function view(messageId: string, minutes: number, options: Partial<Omit<PageViewFact, 'messageId' | 'at'>> = {}): PageViewFact {
  return { messageId, at: at(minutes), internal: false, signature: null, channel: 'Organic Search', ...options };
}
const internal = (messageId: string, minutes: number, signature: string | null = null) =>
  view(messageId, minutes, { internal: true, signature, channel: signature ? 'Paid Search' : null });
const tagged = (messageId: string, minutes: number, signature: string, channel: Channel = 'Paid Search') =>
  view(messageId, minutes, { signature, channel });

const touchIds = (views: PageViewFact[], settings = DEFAULT_SETTINGS) => detectTouches(views, settings).map((touch) => touch.messageId);

describe('sessions', () => {
  it('ends a session after 30 minutes without a page view (a gap of exactly 30 minutes does not)', () => {
    const sessions = sessionize([view('a', 0), internal('b', 30), view('c', 61)], DEFAULT_SETTINGS);
    expect(sessions.map((session) => [session.openerMessageId, session.views])).toEqual([
      ['a', 2],
      ['c', 1],
    ]);
    expect(sessions[0]?.sessionId).toBe(sessionIdOf('a'));
  });

  it('takes the inactivity timeout from the settings', () => {
    const views = [view('a', 0), view('b', 20)];
    expect(sessionize(views, { ...DEFAULT_SETTINGS, timeoutMs: 15 * MINUTE_MS })).toHaveLength(2);
    expect(sessionize(views, DEFAULT_SETTINGS)).toHaveLength(1);
  });

  it('caps a session at 24 hours of continuous activity: the view at or after start + 24 h opens the next', () => {
    const views = Array.from({ length: 31 * 3 }, (_, index) => internal(`v${String(index).padStart(3, '0')}`, index * 20));
    views[0] = view('v000', 0);
    const sessions = sessionize(views, DEFAULT_SETTINGS);
    expect(sessions.map((session) => session.openerMessageId)).toEqual(['v000', 'v072']);
    expect((sessions[1]?.startAt ?? 0) - T0).toBe(24 * HOUR_MS);
    expect(sessionize(views, { ...DEFAULT_SETTINGS, maxDurationMs: 12 * HOUR_MS })).toHaveLength(3);
  });
});

describe('touches', () => {
  it('makes the view that opens a session a touch, with an id from its messageId', () => {
    const [touch] = detectTouches([view('landing', 0), internal('next', 2)], DEFAULT_SETTINGS);
    expect(touch).toEqual({
      touchId: touchIdOf('landing'),
      messageId: 'landing',
      sessionId: sessionIdOf('landing'),
      at: at(0),
      channel: 'Organic Search',
    });
  });

  it('does not count a reload within the session (same referrer, same campaign) as a touch', () => {
    expect(
      touchIds([tagged('landing', 0, 'google|cpc|spring'), tagged('reload', 1, 'google|cpc|spring'), view('reload-untagged', 2)]),
    ).toEqual(['landing']);
  });

  it('does not count a bookmark (direct) within the session, but does after the session ended', () => {
    const direct = (id: string, minutes: number) => view(id, minutes, { channel: 'Direct' });
    expect(touchIds([view('landing', 0), direct('bookmark', 10), direct('next-day', 24 * 60)])).toEqual(['landing', 'next-day']);
  });

  it('records a new campaign or click id mid-session as a touch in the same session', () => {
    const touches = detectTouches(
      [
        tagged('ad', 0, 'google|cpc|a'),
        tagged('email', 5, 'news|email|b', 'Email'),
        tagged('ad-again', 9, 'google|cpc|a'),
        internal('nav', 10),
      ],
      DEFAULT_SETTINGS,
    );
    expect(touches.map((touch) => [touch.messageId, touch.sessionId])).toEqual([
      ['ad', sessionIdOf('ad')],
      ['email', sessionIdOf('ad')],
      ['ad-again', sessionIdOf('ad')],
    ]);
  });

  it('never counts internal navigation, not with a gclid still in the URL, not as a session opener', () => {
    expect(touchIds([internal('resumed-tab', 0), internal('gclid-nav', 5, 'google|cpc||||gclid|abc')])).toEqual([]);
    expect(touchIds([tagged('ad', 0, 'google|cpc||||gclid|abc'), internal('gclid-nav', 5, 'google|cpc||||gclid|abc')])).toEqual(['ad']);
  });

  it('does not make an untagged external referrer mid-session a touch (only campaigns and click ids are)', () => {
    expect(touchIds([view('landing', 0), view('from-social', 10, { channel: 'Organic Social' })])).toEqual(['landing']);
  });

  it('gives the same sessions and touches whatever order the views come in', () => {
    const viewArbitrary = fc.record({
      minute: fc.integer({ min: 0, max: 3 * 24 * 60 }),
      kind: fc.constantFrom('plain', 'internal', 'tagged-a', 'tagged-b'),
    });
    fc.assert(
      fc.property(fc.array(viewArbitrary, { maxLength: 40 }), fc.infiniteStream(fc.nat()), (specs, randoms) => {
        const views = specs.map((spec, index) => {
          const id = `m${index}`;
          if (spec.kind === 'internal') return internal(id, spec.minute);
          if (spec.kind === 'plain') return view(id, spec.minute);
          return tagged(id, spec.minute, spec.kind);
        });
        const shuffled = [...views];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = (randoms.next().value as number) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as PageViewFact, shuffled[i] as PageViewFact];
        }
        expect(sessionize(shuffled, DEFAULT_SETTINGS)).toEqual(sessionize(views, DEFAULT_SETTINGS));
      }),
    );
  });
});
