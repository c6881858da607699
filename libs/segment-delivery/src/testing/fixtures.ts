import type { TouchData, TouchSource, UserSourcesData } from '@touchstream/contracts';

/** A classification with every field unknown: tests fill in what they mean. */
export function touchSource(overrides: Partial<TouchSource> = {}): TouchSource {
  return {
    internal: false,
    channel: null,
    source: null,
    medium: null,
    campaign: null,
    term: null,
    content: null,
    referrerHost: null,
    referrerName: null,
    referrerCategory: null,
    searchTerm: null,
    clickId: null,
    clickIdParam: null,
    landingUrl: null,
    ...overrides,
  };
}

export function touch(overrides: Partial<TouchData> & { source?: TouchSource } = {}): TouchData {
  return {
    touchId: 'touch-1',
    anonymousId: 'anon-1',
    userId: null,
    sessionId: 'session-1',
    messageId: 'message-1',
    occurredAt: '2024-03-01T10:00:00.000Z',
    url: null,
    referrer: null,
    source: touchSource({ channel: 'Direct', source: '(direct)', medium: '(none)' }),
    status: 'recorded',
    revision: 1,
    ...overrides,
  };
}

export function userSources(overrides: Partial<UserSourcesData> = {}): UserSourcesData {
  const first = overrides.firstTouch === undefined ? touch() : overrides.firstTouch;
  return {
    subjectType: 'user',
    subjectId: 'user-1',
    version: 1,
    firstTouch: first,
    lastTouch: first,
    lastTouchModel: 'last-non-direct',
    touchCount: first === null ? 0 : 1,
    userIds: [overrides.subjectId ?? 'user-1'],
    ...overrides,
  };
}
