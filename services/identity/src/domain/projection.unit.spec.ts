import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RawEvent, SegmentEventInput } from '@touchstream/contracts';
import { emptyGraph, mergeGraphs, projectEvents, snapshotOf } from './projection';
import { acceptedRawEvent } from './raw-event';

const t = (minute: number) => new Date(Date.UTC(2026, 2, 1, 10, minute)).toISOString();

describe('projectEvents', () => {
  it('keeps the earliest sighting of a link, with its via and messageId; equal times go to the smaller messageId', () => {
    const graph = projectEvents([
      acceptedRawEvent({ type: 'page', messageId: 'late', anonymousId: 'a', userId: 'u', timestamp: t(30) }),
      acceptedRawEvent({ type: 'identify', messageId: 'm-b', anonymousId: 'a', userId: 'u', timestamp: t(10) }),
      acceptedRawEvent({ type: 'alias', messageId: 'm-a', previousId: 'a', userId: 'u', timestamp: t(10) }),
    ]);
    expect(snapshotOf(graph).links).toEqual([{ anonymousId: 'a', userId: 'u', firstSeenAt: t(10), via: 'alias', messageId: 'm-a' }]);
  });

  it('merges traits per user and key, the latest timestamp winning per key', () => {
    const graph = projectEvents([
      acceptedRawEvent({ type: 'identify', messageId: 'new', userId: 'u', traits: { plan: 'pro' }, timestamp: t(20) }),
      acceptedRawEvent({ type: 'identify', messageId: 'old', userId: 'u', traits: { plan: 'free', name: 'Ada' }, timestamp: t(5) }),
    ]);
    expect(snapshotOf(graph).traits).toEqual([
      { userId: 'u', key: 'name', value: 'Ada', observedAt: t(5), messageId: 'old' },
      { userId: 'u', key: 'plan', value: 'pro', observedAt: t(20), messageId: 'new' },
    ]);
  });

  it('tracks first and last sighting of every id', () => {
    const graph = projectEvents([
      acceptedRawEvent({ type: 'page', messageId: '1', anonymousId: 'a', timestamp: t(30) }),
      acceptedRawEvent({ type: 'page', messageId: '2', anonymousId: 'a', timestamp: t(3) }),
      acceptedRawEvent({ type: 'page', messageId: '3', anonymousId: 'a', timestamp: t(12) }),
    ]);
    expect(snapshotOf(graph).ids).toEqual([{ kind: 'anonymous', id: 'a', firstSeenAt: t(3), lastSeenAt: t(30) }]);
    expect(snapshotOf(graph).timeline.map((entry) => entry.messageId)).toEqual(['1', '2', '3']);
  });
});

/** Events over a few ids and a few instants, so links collide, conflict and tie. */
const anonymousIds = fc.constantFrom('a0', 'a1', 'a2', 'a3');
const userIds = fc.constantFrom('u0', 'u1', 'u2');
const minute = fc.integer({ min: 0, max: 6 });
const segmentEvent: fc.Arbitrary<SegmentEventInput & { timestamp: string }> = fc.oneof(
  fc.record({
    type: fc.constant('identify' as const),
    anonymousId: fc.option(anonymousIds, { nil: undefined }),
    userId: userIds,
    traits: fc.dictionary(fc.constantFrom('plan', 'name', 'email'), fc.oneof(fc.string({ maxLength: 4 }), fc.constant(null))),
    timestamp: minute.map(t),
  }),
  fc.record({
    type: fc.constant('page' as const),
    anonymousId: anonymousIds,
    userId: fc.option(userIds, { nil: undefined }),
    context: fc.record({ page: fc.record({ url: fc.constantFrom('https://x.example/', 'https://x.example/pricing') }) }),
    timestamp: minute.map(t),
  }),
  fc.record({ type: fc.constant('track' as const), event: fc.constant('Signed Up'), userId: userIds, timestamp: minute.map(t) }),
  fc.record({
    type: fc.constant('alias' as const),
    previousId: fc.oneof(anonymousIds, userIds),
    userId: userIds,
    timestamp: minute.map(t),
  }),
);

/** A set of distinct events (unique messageIds), some delivered more than once. */
const deliveries: fc.Arbitrary<RawEvent[]> = fc
  .array(fc.tuple(segmentEvent, fc.integer({ min: 1, max: 2 })), { minLength: 1, maxLength: 40 })
  .map((events) =>
    events.flatMap(([event, copies], index) =>
      Array.from({ length: copies }, () => acceptedRawEvent({ ...event, messageId: `m${index}` })),
    ),
  );

function shuffled<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, index) => ({ item, key: keys[index % Math.max(keys.length, 1)] ?? 0, index }))
    .sort((a, b) => a.key - b.key || a.index - b.index)
    .map(({ item }) => item);
}

function inBatches<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const batches: T[][] = [];
  let start = 0;
  for (let i = 0; start < items.length; i += 1) {
    const size = sizes[i % Math.max(sizes.length, 1)] ?? items.length;
    batches.push(items.slice(start, start + size));
    start += size;
  }
  return batches;
}

describe('order independence', () => {
  it('gives the same projection for any permutation, batching and redelivery of a set of events', () => {
    fc.assert(
      fc.property(
        deliveries,
        fc.array(fc.integer(), { minLength: 1, maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
        (events, order, sizes) => {
          const expected = snapshotOf(projectEvents(events));
          const batches = inBatches(shuffled(events, order), sizes);
          const merged = batches.reduce((graph, batch) => mergeGraphs(graph, projectEvents(batch)), emptyGraph());
          expect(snapshotOf(merged)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
