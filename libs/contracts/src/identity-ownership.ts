/**
 * Who owns an anonymousId's touches when: the one rule identity (its debug answers) and
 * attribution (touch owners) both apply, so they never disagree about a shared computer.
 */

/** A link as the ownership rule needs it. */
export interface LinkTime {
  userId: string;
  /** First sighting of the pair, ms since the epoch. */
  firstSeenAt: number;
}

function compareUserIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byFirstSight(a: LinkTime, b: LinkTime): number {
  return a.firstSeenAt - b.firstSeenAt || compareUserIds(a.userId, b.userId);
}

/** Links in the order the ownership rule reads them; equal sightings ordered by userId, so input order never matters. */
export function sortLinks<T extends LinkTime>(links: readonly T[]): T[] {
  return [...links].sort(byFirstSight);
}

/**
 * The userId that owns an anonymousId's touch at `at`: the link seen last at or
 * before the touch; a touch before the first link belongs to the first userId (the visits made
 * before signing up). Null without links. `links` must be sorted (sortLinks).
 */
export function ownerAt(sortedLinks: readonly LinkTime[], at: number): string | null {
  let owner: string | null = null;
  for (const link of sortedLinks) {
    if (owner !== null && link.firstSeenAt > at) break;
    owner = link.userId;
  }
  return owner;
}
