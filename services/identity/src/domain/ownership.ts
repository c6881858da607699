import { ownerAt as ownerAtMs, sortLinks } from '@touchstream/contracts';

/** A link as the debug answers show it: the ownership rule of libs/contracts over ISO-8601 times. */
export interface LinkTime {
  userId: string;
  /** ISO-8601. */
  firstSeenAt: string;
}

/** [from, to): null `from` reaches back to the beginning, null `to` runs on. */
export interface Ownership {
  userId: string;
  from: string | null;
  to: string | null;
}

function sortedByFirstSight<T extends LinkTime>(links: readonly T[]): T[] {
  return sortLinks(links.map((link) => ({ userId: link.userId, firstSeenAt: Date.parse(link.firstSeenAt), link }))).map(({ link }) => link);
}

/**
 * Which userId owns an anonymousId's anonymous touches when, given the anonymousId's links: a
 * link covers the time from its first sighting to the next link's first sighting, and touches
 * before the first link belong to the first userId. So a shared computer's visits go to whoever
 * had logged in last before them. Equal first sightings
 * are ordered by userId, so the answer never depends on input order.
 */
export function ownershipOf(links: readonly LinkTime[]): Ownership[] {
  const sorted = sortedByFirstSight(links);
  return sorted.map((link, index) => ({
    userId: link.userId,
    from: index === 0 ? null : link.firstSeenAt,
    to: sorted[index + 1]?.firstSeenAt ?? null,
  }));
}

/** The userId owning a touch of this anonymousId at `at` (ISO-8601); null without links. */
export function ownerAt(links: readonly LinkTime[], at: string): string | null {
  const sorted = sortLinks(links.map((link) => ({ userId: link.userId, firstSeenAt: Date.parse(link.firstSeenAt) })));
  return ownerAtMs(sorted, Date.parse(at));
}

export interface LinkRecord extends LinkTime {
  anonymousId: string;
  via: string;
  messageId: string;
}

/** An anonymousId met by more than one userId, with every link's time and what each owns. */
export interface IdentityConflict {
  anonymousId: string;
  users: Array<LinkRecord & { owns: Ownership }>;
}

/** The conflicts among `links` (any mix of anonymousIds), sorted by anonymousId. */
export function conflictsOf(links: readonly LinkRecord[]): IdentityConflict[] {
  const byAnonymous = new Map<string, LinkRecord[]>();
  for (const link of links) byAnonymous.set(link.anonymousId, [...(byAnonymous.get(link.anonymousId) ?? []), link]);
  const conflicts: IdentityConflict[] = [];
  for (const [anonymousId, group] of byAnonymous) {
    if (new Set(group.map((link) => link.userId)).size < 2) continue;
    const ownership = ownershipOf(group);
    const users = sortedByFirstSight(group).map((link, index) => ({ ...link, owns: ownership[index] as Ownership }));
    conflicts.push({ anonymousId, users });
  }
  return conflicts.sort((a, b) => (a.anonymousId < b.anonymousId ? -1 : a.anonymousId > b.anonymousId ? 1 : 0));
}
