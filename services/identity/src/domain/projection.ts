import type { RawEvent } from '@touchstream/contracts';
import { observeEvent, type IdKind, type LinkSighting, type TimelineEntry, type TraitObservation } from './observe';
import type { Instant } from './text';

/** First and last time an id appeared on an event. */
export interface IdActivity {
  kind: IdKind;
  id: string;
  firstSeen: Instant;
  lastSeen: Instant;
}

/**
 * The identity graph as a value: links (earliest sighting per pair), id activity, traits
 * (latest per user and key) and the timeline. It is both a batch's effect and a whole
 * projection: every field merges with a commutative, associative, idempotent rule, so the
 * result of a set of events depends neither on their order nor on how they were batched nor on
 * repeats. The database applies the same rules (services/identity).
 */
export interface IdentityGraph {
  links: Map<string, LinkSighting>;
  ids: Map<string, IdActivity>;
  traits: Map<string, TraitObservation>;
  timeline: Map<string, TimelineEntry>;
}

export function emptyGraph(): IdentityGraph {
  return { links: new Map(), ids: new Map(), traits: new Map(), timeline: new Map() };
}

const pairKey = (a: string, b: string) => `${a}\u0000${b}`;

/** The key of a link in IdentityGraph.links. */
export const linkKey = (anonymousId: string, userId: string): string => pairKey(anonymousId, userId);

/** (time, messageId): equal times are decided by messageId so that no order can decide. */
export function isEarlier(a: { at: Instant; messageId: string }, b: { at: Instant; messageId: string }): boolean {
  return a.at.ms < b.at.ms || (a.at.ms === b.at.ms && a.messageId < b.messageId);
}

export function addEvent(graph: IdentityGraph, raw: RawEvent): IdentityGraph {
  const observation = observeEvent(raw);
  for (const link of observation.links) mergeLink(graph, link);
  for (const sighting of observation.ids) {
    mergeActivity(graph, { kind: sighting.kind, id: sighting.id, firstSeen: sighting.at, lastSeen: sighting.at });
  }
  for (const trait of observation.traits) mergeTrait(graph, trait);
  mergeTimeline(graph, observation.timeline);
  return graph;
}

export function projectEvents(events: Iterable<RawEvent>): IdentityGraph {
  const graph = emptyGraph();
  for (const event of events) addEvent(graph, event);
  return graph;
}

/** Merges `other` into `graph` (what the database does with a batch's effect). */
export function mergeGraphs(graph: IdentityGraph, other: IdentityGraph): IdentityGraph {
  for (const link of other.links.values()) mergeLink(graph, link);
  for (const activity of other.ids.values()) mergeActivity(graph, activity);
  for (const trait of other.traits.values()) mergeTrait(graph, trait);
  for (const entry of other.timeline.values()) mergeTimeline(graph, entry);
  return graph;
}

function mergeLink(graph: IdentityGraph, link: LinkSighting): void {
  const key = pairKey(link.anonymousId, link.userId);
  const current = graph.links.get(key);
  if (!current || isEarlier(link, current)) graph.links.set(key, link);
}

function mergeActivity(graph: IdentityGraph, activity: IdActivity): void {
  const key = pairKey(activity.kind, activity.id);
  const current = graph.ids.get(key);
  if (!current) return void graph.ids.set(key, { ...activity });
  if (activity.firstSeen.ms < current.firstSeen.ms) current.firstSeen = activity.firstSeen;
  if (activity.lastSeen.ms > current.lastSeen.ms) current.lastSeen = activity.lastSeen;
}

function mergeTrait(graph: IdentityGraph, trait: TraitObservation): void {
  const key = pairKey(trait.userId, trait.key);
  const current = graph.traits.get(key);
  if (!current || isEarlier(current, trait)) graph.traits.set(key, trait);
}

/** One entry per messageId; two different events never share one, so the first kept is as good as any. */
function mergeTimeline(graph: IdentityGraph, entry: TimelineEntry): void {
  if (!graph.timeline.has(entry.messageId)) graph.timeline.set(entry.messageId, entry);
}

/** The graph as sorted plain rows: what tests compare with each other and with the database. */
export interface GraphSnapshot {
  links: Array<{ anonymousId: string; userId: string; firstSeenAt: string; via: string; messageId: string }>;
  ids: Array<{ kind: IdKind; id: string; firstSeenAt: string; lastSeenAt: string }>;
  traits: Array<{ userId: string; key: string; value: unknown; observedAt: string; messageId: string }>;
  timeline: Array<{
    messageId: string;
    anonymousId: string | null;
    userId: string | null;
    type: string;
    name: string | null;
    timestamp: string;
    url: string | null;
    referrer: string | null;
  }>;
}

const byKeys =
  <T>(...keys: Array<(row: T) => string>) =>
  (a: T, b: T): number => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };

export function snapshotOf(graph: IdentityGraph): GraphSnapshot {
  return {
    links: [...graph.links.values()]
      .map((link) => ({
        anonymousId: link.anonymousId,
        userId: link.userId,
        firstSeenAt: link.at.iso,
        via: link.via,
        messageId: link.messageId,
      }))
      .sort(
        byKeys(
          (row) => row.anonymousId,
          (row) => row.userId,
        ),
      ),
    ids: [...graph.ids.values()]
      .map((activity) => ({ kind: activity.kind, id: activity.id, firstSeenAt: activity.firstSeen.iso, lastSeenAt: activity.lastSeen.iso }))
      .sort(
        byKeys(
          (row) => row.kind,
          (row) => row.id,
        ),
      ),
    traits: [...graph.traits.values()]
      .map((trait) => ({
        userId: trait.userId,
        key: trait.key,
        value: JSON.parse(trait.valueJson) as unknown,
        observedAt: trait.at.iso,
        messageId: trait.messageId,
      }))
      .sort(
        byKeys(
          (row) => row.userId,
          (row) => row.key,
        ),
      ),
    timeline: [...graph.timeline.values()]
      .map((entry) => ({
        messageId: entry.messageId,
        anonymousId: entry.anonymousId,
        userId: entry.userId,
        type: entry.type,
        name: entry.name,
        timestamp: entry.at.iso,
        url: entry.url,
        referrer: entry.referrer,
      }))
      .sort(byKeys((row) => row.messageId)),
  };
}
