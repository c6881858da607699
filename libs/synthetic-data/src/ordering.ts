import type { Random } from './random';

/** A binary min-heap: the time-ordered archive keeps only the events of visits in progress in it. */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i] as T, items[parent] as T)) break;
      [items[i], items[parent]] = [items[parent] as T, items[i] as T];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.before(items[left] as T, items[smallest] as T)) smallest = left;
        if (right < items.length && this.before(items[right] as T, items[smallest] as T)) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest] as T, items[i] as T];
        i = smallest;
      }
    }
    return top;
  }
}

/**
 * A streaming shuffle with bounded memory: each item waits in a window of `window` slots and
 * leaves at a random moment. Items move up to about `window` positions, like an archive written
 * by many servers; with window >= the item count it is a full uniform shuffle.
 */
export function* shuffleWindow<T>(items: Iterable<T>, window: number, random: Random): Generator<T> {
  if (!Number.isInteger(window) || window < 1) throw new RangeError('shuffle window must be a positive integer');
  const buffer: T[] = [];
  for (const item of items) {
    if (buffer.length < window) {
      buffer.push(item);
      continue;
    }
    const slot = random.int(0, window - 1);
    yield buffer[slot] as T;
    buffer[slot] = item;
  }
  for (let i = buffer.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [buffer[i], buffer[j]] = [buffer[j] as T, buffer[i] as T];
  }
  yield* buffer;
}
