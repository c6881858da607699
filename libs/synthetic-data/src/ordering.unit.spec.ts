import { describe, expect, it } from 'vitest';
import { MinHeap, shuffleWindow } from './ordering';
import { Random } from './random';

describe('MinHeap', () => {
  it('pops in order, ties in insertion order when the comparator says so', () => {
    const heap = new MinHeap<{ at: number; seq: number }>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
    const random = Random.of('heap');
    const items = Array.from({ length: 500 }, (_, seq) => ({ at: random.int(0, 50), seq }));
    for (const item of items) heap.push(item);
    const popped: { at: number; seq: number }[] = [];
    while (heap.size > 0) popped.push(heap.pop() as { at: number; seq: number });
    expect(popped).toEqual([...items].sort((a, b) => a.at - b.at || a.seq - b.seq));
    expect(heap.pop()).toBeUndefined();
  });
});

describe('shuffleWindow', () => {
  const items = Array.from({ length: 1_000 }, (_, i) => i);

  it('is a deterministic permutation', () => {
    const once = [...shuffleWindow(items, 50, Random.of('s'))];
    expect([...once].sort((a, b) => a - b)).toEqual(items);
    expect([...shuffleWindow(items, 50, Random.of('s'))]).toEqual(once);
    expect(once).not.toEqual(items);
  });

  it('never moves an item earlier than its window allows', () => {
    const out = [...shuffleWindow(items, 50, Random.of('w'))];
    out.forEach((item, position) => expect(position).toBeGreaterThanOrEqual(item - 50));
  });

  it('is a full shuffle when the window holds everything', () => {
    const out = [...shuffleWindow(items.slice(0, 100), 1_000, Random.of('full'))];
    expect(out.slice(0, 10)).not.toEqual(items.slice(0, 10));
    expect([...out].sort((a, b) => a - b)).toEqual(items.slice(0, 100));
  });

  it('refuses a window that is not a positive integer', () => {
    expect(() => [...shuffleWindow(items, 0, Random.of('x'))]).toThrow(RangeError);
  });
});
