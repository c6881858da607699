import { describe, expect, it } from 'vitest';
import { conflictsOf, ownerAt, ownershipOf } from './ownership';

const t = (hour: number) => `2026-03-01T${String(hour).padStart(2, '0')}:00:00.000Z`;

describe('which userId owns an anonymousId touch at a time', () => {
  it('gives everything to the only user, before and after the link', () => {
    const links = [{ userId: 'u1', firstSeenAt: t(10) }];
    expect(ownerAt(links, t(1))).toBe('u1');
    expect(ownerAt(links, t(23))).toBe('u1');
    expect(ownershipOf(links)).toEqual([{ userId: 'u1', from: null, to: null }]);
  });

  it('gives a shared device touches to whoever was linked last before them, earlier ones to the first user', () => {
    const links = [
      { userId: 'u2', firstSeenAt: t(12) },
      { userId: 'u1', firstSeenAt: t(8) },
    ];
    expect(ownerAt(links, t(5))).toBe('u1');
    expect(ownerAt(links, t(8))).toBe('u1');
    expect(ownerAt(links, t(11))).toBe('u1');
    expect(ownerAt(links, t(12))).toBe('u2');
    expect(ownerAt(links, t(20))).toBe('u2');
    expect(ownershipOf(links)).toEqual([
      { userId: 'u1', from: null, to: t(12) },
      { userId: 'u2', from: t(12), to: null },
    ]);
  });

  it('orders links first seen at the same instant by userId, whatever the input order', () => {
    const forward = [
      { userId: 'b', firstSeenAt: t(9) },
      { userId: 'a', firstSeenAt: t(9) },
    ];
    expect(ownershipOf(forward)).toEqual(ownershipOf([...forward].reverse()));
    expect(ownerAt(forward, t(10))).toBe('b');
    expect(ownerAt(forward, t(1))).toBe('a');
  });

  it('has no owner without links', () => {
    expect(ownerAt([], t(1))).toBeNull();
    expect(ownershipOf([])).toEqual([]);
  });
});

describe('conflicts', () => {
  it('lists only anonymousIds met by several users, with every link time and ownership', () => {
    const links = [
      { anonymousId: 'shared', userId: 'u2', firstSeenAt: t(12), via: 'identify', messageId: 'm2' },
      { anonymousId: 'solo', userId: 'u1', firstSeenAt: t(9), via: 'event', messageId: 'm3' },
      { anonymousId: 'shared', userId: 'u1', firstSeenAt: t(8), via: 'alias', messageId: 'm1' },
    ];
    expect(conflictsOf(links)).toEqual([
      {
        anonymousId: 'shared',
        users: [
          {
            anonymousId: 'shared',
            userId: 'u1',
            firstSeenAt: t(8),
            via: 'alias',
            messageId: 'm1',
            owns: { userId: 'u1', from: null, to: t(12) },
          },
          {
            anonymousId: 'shared',
            userId: 'u2',
            firstSeenAt: t(12),
            via: 'identify',
            messageId: 'm2',
            owns: { userId: 'u2', from: t(12), to: null },
          },
        ],
      },
    ]);
  });
});
