import type { SegmentEvent } from '@touchstream/contracts';
import { resolveOptions, type ArchiveOptions, type ResolvedOptions } from './options';
import { shuffleWindow, MinHeap } from './ordering';
import { planPerson, type PersonPlan } from './person-plan';
import { Random } from './random';
import { personTruth, type PersonTruth } from './truth';
import { visitEvents } from './visit-events';

/**
 * The order events come in. `time`: sorted by timestamp, as one would sort an archive; `person`:
 * one person after another (each device's events in time order) with no memory cost; `shuffled`:
 * time order stirred within a window, since real archives are not sorted.
 */
export type ArchiveOrder = { kind: 'time' } | { kind: 'person' } | { kind: 'shuffled'; window: number };

export interface SyntheticArchive {
  readonly options: ResolvedOptions;
  /** A fresh pass over the archive each call; the same options always give the same sequence. */
  events(order?: ArchiveOrder): Iterable<SegmentEvent>;
  /** The ground truth per person (first touch, linked devices, every visit's expected source). */
  people(): Iterable<PersonTruth>;
}

function* byPerson(options: ResolvedOptions): Generator<SegmentEvent> {
  for (let person = 0; person < options.users; person++) {
    const plan = planPerson(options, person);
    for (let visit = 0; visit < plan.visits.length; visit++) yield* visitEvents(options, plan, visit);
  }
}

interface Pending {
  at: number;
  seq: number;
  event: SegmentEvent;
}

/**
 * Plans everyone (compact: no events), sorts all visits by start, then produces each visit's
 * events when its start comes up. A min-heap holds only the events of visits still in
 * progress, so memory is one plan per person plus a few visits' events, not the archive.
 */
function* byTime(options: ResolvedOptions): Generator<SegmentEvent> {
  const plans: (PersonPlan | undefined)[] = [];
  const remaining = new Uint16Array(options.users);
  let visitCount = 0;
  for (let person = 0; person < options.users; person++) {
    const plan = planPerson(options, person);
    plans.push(plan);
    remaining[person] = plan.visits.length;
    visitCount += plan.visits.length;
  }
  const starts = new Float64Array(visitCount);
  const people = new Uint32Array(visitCount);
  const indexes = new Uint16Array(visitCount);
  let n = 0;
  for (const plan of plans) {
    for (const visit of (plan as PersonPlan).visits) {
      starts[n] = visit.start;
      people[n] = plan?.person ?? 0;
      indexes[n] = visit.index;
      n++;
    }
  }
  const order = new Uint32Array(visitCount).map((_, i) => i);
  order.sort(
    (a, b) =>
      (starts[a] as number) - (starts[b] as number) ||
      (people[a] as number) - (people[b] as number) ||
      (indexes[a] as number) - (indexes[b] as number),
  );

  const heap = new MinHeap<Pending>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  let seq = 0;
  for (const slot of order) {
    const start = starts[slot] as number;
    // Every event still to come happens at or after this visit's start.
    while ((heap.peek()?.at ?? Infinity) < start) yield (heap.pop() as Pending).event;
    const person = people[slot] as number;
    const plan = plans[person] as PersonPlan;
    for (const event of visitEvents(options, plan, indexes[slot] as number))
      heap.push({ at: Date.parse(event.timestamp as string), seq: seq++, event });
    remaining[person] = (remaining[person] as number) - 1;
    if (remaining[person] === 0) plans[person] = undefined;
  }
  while (heap.size > 0) yield (heap.pop() as Pending).event;
}

function* truths(options: ResolvedOptions): Generator<PersonTruth> {
  for (let person = 0; person < options.users; person++) {
    const plan = planPerson(options, person);
    yield personTruth(
      plan,
      plan.visits.map((_, visit) => visitEvents(options, plan, visit)),
    );
  }
}

/**
 * A realistic, deterministic Segment archive: people arriving over `days` from search, ads,
 * social, email, AI assistants, referrals and direct; several devices each; anonymous browsing,
 * sign-up with identify, log-ins on other devices, internal navigation and returning visits.
 */
export function generateArchive(options: ArchiveOptions): SyntheticArchive {
  const resolved = resolveOptions(options);
  return {
    options: resolved,
    events(order: ArchiveOrder = { kind: 'time' }) {
      switch (order.kind) {
        case 'person':
          return { [Symbol.iterator]: () => byPerson(resolved) };
        case 'time':
          return { [Symbol.iterator]: () => byTime(resolved) };
        case 'shuffled':
          return { [Symbol.iterator]: () => shuffleWindow(byTime(resolved), order.window, Random.of(resolved.seed, 'shuffle')) };
      }
    },
    people: () => ({ [Symbol.iterator]: () => truths(resolved) }),
  };
}
