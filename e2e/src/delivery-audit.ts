import { isDeepStrictEqual } from 'node:util';
import { touchIdOf } from '@touchstream/contracts';
import { FIRST_TOUCH_PREFIX, LAST_TOUCH_PREFIX, trackMessageId } from '@touchstream/segment-delivery';
import type { PersonTruth, VisitTruth } from '@touchstream/synthetic-data';
import type { ReceivedEvent } from '@touchstream/testing';

/**
 * What a run must deliver, computed from the generator's ground truth alone (no pipeline state),
 * and the bookkeeping that compares it with what arrived, by id.
 */

export type SubjectType = 'user' | 'anonymous';

export interface ExpectedSubject {
  type: SubjectType;
  id: string;
  /** The visits whose touches must be the subject's first and last (last non-direct) touch. */
  first: VisitTruth;
  last: VisitTruth;
}

export function countBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Every visit is exactly one touch (synthetic-data's guarantee), tracked under the touch's id. */
export function expectedTrackIds(people: readonly PersonTruth[]): Set<string> {
  return new Set(people.flatMap((person) => person.visits.map((visit) => trackMessageId(touchIdOf(visit.messageId)))));
}

function lastNonDirect(visits: readonly VisitTruth[]): VisitTruth | undefined {
  return [...visits].reverse().find((visit) => visit.channel !== 'Direct') ?? visits.at(-1);
}

/**
 * Who gets an identify with first and last touch: every user who signed up (over its linked
 * devices), and every device never identified (with its own visits). A linked device's visitor
 * may get identifies before its link is known, but need not.
 */
export function expectedSubjects(people: readonly PersonTruth[]): ExpectedSubject[] {
  const subjects: ExpectedSubject[] = [];
  for (const person of people) {
    if (person.userId && person.firstTouch && person.lastNonDirectTouch)
      subjects.push({ type: 'user', id: person.userId, first: person.firstTouch, last: person.lastNonDirectTouch });
    for (const device of person.devices) {
      if (device.linked) continue;
      const visits = person.visits.filter((visit) => visit.anonymousId === device.anonymousId);
      const last = lastNonDirect(visits);
      if (last) subjects.push({ type: 'anonymous', id: device.anonymousId, first: device.firstTouch, last });
    }
  }
  return subjects;
}

/** Every subject an identify of this traffic may name, including visitors later linked. */
export function possibleSubjects(people: readonly PersonTruth[]): Array<{ type: SubjectType; id: string }> {
  return people.flatMap((person) => [
    ...(person.userId ? [{ type: 'user' as const, id: person.userId }] : []),
    ...person.devices.map((device) => ({ type: 'anonymous' as const, id: device.anonymousId })),
  ]);
}

/** The subject an identify names: its userId, else its anonymousId. */
export function subjectOf(event: ReceivedEvent): { type: SubjectType; id: string } {
  return typeof event.userId === 'string' ? { type: 'user', id: event.userId } : { type: 'anonymous', id: String(event.anonymousId) };
}

/** One side of an identify's traits (source_first_* or source_last_*), without the prefix. */
export function touchTraits(traits: Record<string, unknown>, which: 'first' | 'last'): Record<string, unknown> {
  const prefix = which === 'first' ? FIRST_TOUCH_PREFIX : LAST_TOUCH_PREFIX;
  return Object.fromEntries(
    Object.entries(traits)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

/**
 * What must be equal in two copies of one messageId: a re-send carries the same call. A track's
 * userId is left out: a touch re-sent after a crash may have learnt its user meanwhile, and
 * Segment keeps the first copy either way.
 */
export function comparablePart(event: ReceivedEvent): unknown {
  if (event.type === 'track') return [event.type, event.event, event.anonymousId, event.timestamp, event.properties];
  return [event.type, event.userId, event.anonymousId, event.timestamp, event.traits];
}

export interface Copies {
  /** messageId -> how many times the receiver accepted it. */
  counts: Map<string, number>;
  /** How many accepted events were second or later copies of a messageId. */
  duplicates: number;
  /** messageIds whose copies differ in what a re-send must keep. */
  differing: string[];
}

export function copiesOf(events: readonly ReceivedEvent[]): Copies {
  const first = new Map<string, ReceivedEvent>();
  const differing = new Set<string>();
  for (const event of events) {
    const id = String(event.messageId);
    const seen = first.get(id);
    if (!seen) first.set(id, event);
    else if (!isDeepStrictEqual(comparablePart(seen), comparablePart(event))) differing.add(id);
  }
  const counts = countBy(events, (event) => String(event.messageId));
  return { counts, duplicates: events.length - counts.size, differing: [...differing] };
}
