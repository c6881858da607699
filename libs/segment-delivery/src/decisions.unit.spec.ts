import { describe, expect, it } from 'vitest';
import {
  caughtUp,
  decideFlush,
  decideIdentify,
  decideTrack,
  newestPerSubject,
  newestRevisions,
  type DecisionSettings,
  type SubjectState,
} from './decisions';
import { touch, userSources } from './testing/fixtures';

const live: DecisionSettings = { mode: 'live', identifyAnonymous: true, trackSince: null };
const backfill: DecisionSettings = { mode: 'backfill', identifyAnonymous: true, trackSince: new Date('2024-01-01T00:00:00.000Z') };
const fresh: SubjectState = { storedVersion: 3, handledVersion: 2, handledTraitsHash: 'old' };

describe('identify decisions', () => {
  it('sends a new version of a user fact', () => {
    expect(decideIdentify(userSources({ version: 3 }), 'new', fresh, live)).toEqual({ send: true });
  });

  it.each([
    ['a version overtaken by a newer one stored', userSources({ version: 2 }), 'new', { ...fresh, handledVersion: 1 }, 'stale'],
    ['a version already handled (redelivery)', userSources({ version: 3 }), 'new', { ...fresh, handledVersion: 3 }, 'already-handled'],
    ['traits identical to those delivered', userSources({ version: 3 }), 'old', fresh, 'unchanged'],
    [
      'a fact that clears attribution',
      userSources({ version: 3, firstTouch: null, lastTouch: null, touchCount: 0 }),
      'new',
      fresh,
      'cleared',
    ],
    [
      'a visitor linked to a user',
      userSources({ subjectType: 'anonymous', subjectId: 'a', version: 3, userIds: ['u'] }),
      'new',
      fresh,
      'anonymous-identified',
    ],
  ] as const)('skips %s', (_name, fact, hash, state, reason) => {
    expect(decideIdentify(fact, hash, state, live)).toEqual({ send: false, reason });
  });

  it('sends a visitor never identified, unless anonymous identifies are off', () => {
    const visitor = userSources({ subjectType: 'anonymous', subjectId: 'a', version: 3, userIds: [] });
    expect(decideIdentify(visitor, 'new', fresh, live)).toEqual({ send: true });
    expect(decideIdentify(visitor, 'new', fresh, { ...live, identifyAnonymous: false })).toEqual({
      send: false,
      reason: 'anonymous-disabled',
    });
  });

  it('defers every identify to the flush in backfill mode, where the same rules apply', () => {
    expect(decideIdentify(userSources({ version: 3 }), 'new', fresh, backfill)).toEqual({
      send: false,
      reason: 'deferred-to-backfill-flush',
    });
    expect(decideFlush(userSources({ version: 3 }), 'new', fresh, backfill)).toEqual({ send: true });
    expect(decideFlush(userSources({ version: 3 }), 'new', { ...fresh, handledVersion: 3 }, backfill)).toEqual({
      send: false,
      reason: 'already-handled',
    });
  });
});

describe('track decisions', () => {
  it('sends a touch once, whatever its revision', () => {
    expect(decideTrack(touch(), false, live)).toEqual({ send: true });
    expect(decideTrack(touch(), true, live)).toEqual({ send: false, reason: 'already-handled' });
    expect(decideTrack(touch({ revision: 2, userId: 'u' }), true, live)).toEqual({ send: false, reason: 'already-handled' });
  });

  it('skips withdrawn touches', () => {
    expect(decideTrack(touch({ status: 'withdrawn', revision: 2 }), false, live)).toEqual({ send: false, reason: 'withdrawn' });
  });

  it('sends only touches at or after TRACK_SINCE', () => {
    expect(decideTrack(touch({ occurredAt: '2023-12-31T23:59:59.999Z' }), false, backfill)).toEqual({
      send: false,
      reason: 'before-track-since',
    });
    expect(decideTrack(touch({ occurredAt: '2024-01-01T00:00:00.000Z' }), false, backfill)).toEqual({ send: true });
  });
});

describe('coalescing', () => {
  it('keeps only the newest version of each subject, in first-seen order', () => {
    const facts = [
      userSources({ subjectId: 'a', version: 1 }),
      userSources({ subjectId: 'b', version: 5 }),
      userSources({ subjectId: 'a', version: 3 }),
      userSources({ subjectId: 'a', version: 2 }),
      userSources({ subjectType: 'anonymous', subjectId: 'a', version: 1 }),
    ];
    const { newest, superseded } = newestPerSubject(facts);
    expect(newest.map((fact) => `${fact.subjectType}:${fact.subjectId}:${fact.version}`)).toEqual([
      'user:a:3',
      'user:b:5',
      'anonymous:a:1',
    ]);
    expect(superseded).toBe(2);
  });

  it('keeps the highest revision of each touch', () => {
    const { newest, superseded } = newestRevisions([
      touch({ touchId: 't', revision: 2 }),
      touch({ touchId: 't', revision: 1 }),
      touch({ touchId: 'u' }),
    ]);
    expect(newest.map((item) => `${item.touchId}:${item.revision}`)).toEqual(['t:2', 'u:1']);
    expect(superseded).toBe(1);
  });
});

describe('backfill catch-up', () => {
  it('is caught up when every partition seen is at its high watermark and quiet', () => {
    const atEnd = { lastOffset: 9n, highWatermark: 10n, committedAtMs: 1_000 };
    expect(caughtUp([], 5_000, 1_000)).toBe(true);
    expect(caughtUp([atEnd], 5_000, 1_000)).toBe(true);
    expect(caughtUp([atEnd, { lastOffset: 4n, highWatermark: 10n, committedAtMs: 1_000 }], 5_000, 1_000)).toBe(false);
    expect(caughtUp([atEnd], 1_500, 1_000)).toBe(false);
  });
});
