import { describe, expect, it } from 'vitest';
import { ownerAt, sortLinks } from './identity-ownership';

describe('touch ownership by link time', () => {
  const links = sortLinks([
    { userId: 'bob', firstSeenAt: 200 },
    { userId: 'alice', firstSeenAt: 100 },
  ]);

  it('gives touches before the first link to the first userId, then to whoever was linked last before them', () => {
    expect(ownerAt(links, 50)).toBe('alice');
    expect(ownerAt(links, 100)).toBe('alice');
    expect(ownerAt(links, 199)).toBe('alice');
    expect(ownerAt(links, 200)).toBe('bob');
    expect(ownerAt(links, 10_000)).toBe('bob');
  });

  it('has no owner without links, and orders equal sightings by userId', () => {
    expect(ownerAt([], 100)).toBeNull();
    const tied = sortLinks([
      { userId: 'zoe', firstSeenAt: 100 },
      { userId: 'amy', firstSeenAt: 100 },
    ]);
    expect(ownerAt(tied, 150)).toBe('zoe');
    expect(ownerAt(tied, 50)).toBe('amy');
  });
});
