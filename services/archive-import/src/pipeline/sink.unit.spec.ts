import { describe, expect, it } from 'vitest';
import { splitByBytes } from './sink';

describe('splitByBytes', () => {
  it('keeps every part under the byte bound, in order, without losing a message', () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(10 + (i % 7) * 10) }));
    const parts = splitByBytes(messages, 200);
    expect(parts.flat()).toEqual(messages);
    for (const part of parts) {
      const bytes = part.reduce((sum, message) => sum + Buffer.byteLength(message.value) + Buffer.byteLength(message.key ?? ''), 0);
      expect(bytes <= 200 || part.length === 1).toBe(true);
    }
    expect(parts.length).toBeGreaterThan(5);
  });

  it('gives a message larger than the bound a part of its own', () => {
    const parts = splitByBytes(
      [
        { key: 'a', value: 'x' },
        { key: 'b', value: 'y'.repeat(500) },
        { key: 'c', value: 'z' },
      ],
      100,
    );
    expect(parts.map((part) => part.map((message) => message.key))).toEqual([['a'], ['b'], ['c']]);
    expect(splitByBytes([], 100)).toEqual([]);
  });
});
