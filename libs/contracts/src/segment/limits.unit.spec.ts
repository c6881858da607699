import { describe, expect, it } from 'vitest';
import { SEGMENT_EVENT_LIMITS, admitSegmentEvent, canonicalJson, nestedDeeperThan, structureProblem, validateSegmentEvent } from '../index';

const base = { type: 'page', messageId: 'm-1', anonymousId: 'anon-1', timestamp: '2026-01-02T03:04:05.000Z' };
const receivedAt = new Date('2026-06-01T00:00:00.000Z');

/** `{"p":{"p":...}}` nested `levels` objects deep below the top. */
function nested(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let cursor = root;
  for (let i = 0; i < levels; i += 1) {
    const next: Record<string, unknown> = {};
    cursor.p = next;
    cursor = next;
  }
  return root;
}

const rejectReason = (input: unknown): string => {
  const result = validateSegmentEvent(input);
  expect(result.ok).toBe(false);
  return result.ok ? '' : result.reason;
};

describe('what the pipeline can store (SEGMENT_EVENT_LIMITS)', () => {
  it.each([
    ['anonymousId', { anonymousId: 'anon\u0000-1' }, 'anonymousId: must not contain the NUL character'],
    ['userId', { userId: 'u\u0000' }, 'userId: must not contain the NUL character'],
    ['a page URL', { properties: { url: 'https://a.example/\u0000' } }, 'properties.url: must not contain the NUL character'],
    ['a context URL', { context: { page: { url: '\u0000' } } }, 'context.page.url: must not contain the NUL'],
    ['a key', { properties: { 'a\u0000b': 1 } }, 'properties.a\uFFFDb: key must not contain the NUL character'],
    ['a lone surrogate', { properties: { title: 'x\ud800y' } }, 'properties.title: must not contain an unpaired UTF-16 surrogate'],
  ])('refuses NUL or lone surrogates in %s', (_where, extra, reason) => {
    expect(rejectReason({ ...base, ...extra })).toContain(reason);
  });

  it('keeps surrogate pairs (emoji) and other control characters', () => {
    expect(validateSegmentEvent({ ...base, properties: { title: 'ok 😀 \u0001\t' } }).ok).toBe(true);
  });

  it.each(['anonymousId', 'userId', 'previousId', 'groupId'])('refuses a %s over the id length limit, accepts one at it', (field) => {
    const type = field === 'previousId' ? 'alias' : field === 'groupId' ? 'group' : 'page';
    const event = { ...base, type, userId: 'u-1', previousId: 'p', groupId: 'g' };
    const max = SEGMENT_EVENT_LIMITS.maxIdLength;
    expect(validateSegmentEvent({ ...event, [field]: 'x'.repeat(max) }).ok).toBe(true);
    expect(rejectReason({ ...event, [field]: 'x'.repeat(10_240) })).toContain(`${field}: is 10240 characters, over the limit of ${max}`);
  });

  it.each([
    ['year 0', '0000-01-01T00:00:00.000Z'],
    ['year -1', '-000001-01-01T00:00:00.000Z'],
    ['year 9999', '9999-12-31T23:59:59.999Z'],
    ['year 10000', '+010000-01-01T00:00:00.000Z'],
    ['the last JavaScript date', '+275760-09-13T00:00:00.000Z'],
    ['the first JavaScript date', '-271821-04-20T00:00:00.000Z'],
    ['before 1970', '1969-12-31T23:59:59.999Z'],
  ])('refuses a timestamp of %s in every time field', (_name, time) => {
    for (const field of ['timestamp', 'originalTimestamp', 'sentAt', 'receivedAt']) {
      expect(rejectReason({ ...base, [field]: time })).toContain(
        `${field}: must be a timestamp between 1970-01-01T00:00:00.000Z and 2999-12-31T23:59:59.999Z`,
      );
    }
  });

  it('accepts both ends of the range', () => {
    expect(validateSegmentEvent({ ...base, timestamp: SEGMENT_EVENT_LIMITS.earliestTimestamp }).ok).toBe(true);
    expect(validateSegmentEvent({ ...base, timestamp: SEGMENT_EVENT_LIMITS.latestTimestamp }).ok).toBe(true);
  });

  it('refuses an event nested deeper than the limit, even 10,000 levels, without overflowing the stack', () => {
    const max = SEGMENT_EVENT_LIMITS.maxNestingDepth;
    expect(validateSegmentEvent({ ...base, properties: nested(max - 2) }).ok).toBe(true);
    expect(rejectReason({ ...base, properties: nested(max - 1) })).toContain(`nested deeper than ${max} levels`);
    expect(rejectReason({ ...base, properties: nested(10_000) })).toContain(`nested deeper than ${max} levels`);
    expect(() => canonicalJson(nested(10_000))).toThrow(RangeError); // what the limit protects
  });

  it('structureProblem and nestedDeeperThan count the top value as level 1', () => {
    expect(structureProblem({ a: [{}] }, 3)).toBeUndefined();
    expect(structureProblem({ a: [{}] }, 2)).toEqual({ path: 'a.0', message: 'nested deeper than 2 levels' });
    expect(nestedDeeperThan({ a: [{}] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: [{}] }, 2)).toBe(true);
    expect(nestedDeeperThan(nested(100_000), 64)).toBe(true);
  });
});

describe('admitSegmentEvent', () => {
  it('normalises a valid event to its raw-topic envelope', () => {
    const result = admitSegmentEvent(base, { source: 'webhook', receivedAt });
    expect(result.ok && result.raw.data.event.timestamp).toBe(base.timestamp);
  });

  it('refuses an API event whose clock-skew correction leaves the range, with no Invalid time value', () => {
    const event = { ...base, timestamp: undefined, originalTimestamp: '2999-01-01T00:00:00.000Z', sentAt: '1970-01-01T00:00:00.000Z' };
    const result = admitSegmentEvent(event, { source: 'api', receivedAt });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.reason).toMatch(/timestamp: corrected for clock skew .* it is \+?\d+-.*, outside 1970-01-01T00:00:00.000Z to 2999/);
  });

  it('refuses sentAt / originalTimestamp at the limits of JavaScript dates instead of throwing', () => {
    const event = { ...base, originalTimestamp: '-271821-04-20T00:00:00.000Z', sentAt: '+275760-09-13T00:00:00.000Z' };
    expect(() => admitSegmentEvent(event, { source: 'api', receivedAt })).not.toThrow();
    expect(admitSegmentEvent(event, { source: 'api', receivedAt }).ok).toBe(false);
  });
});
