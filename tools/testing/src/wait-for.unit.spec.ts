import { describe, expect, it } from 'vitest';
import { waitFor, waitForIds } from './wait-for';

/** A probe that answers `notYet` for its first calls, then `value`; counts its calls. */
function probeAnswering<T>(notYet: unknown[], value: T) {
  let calls = 0;
  const probe = () => (calls < notYet.length ? (notYet[calls++] as T) : (calls++, value));
  return { probe, calls: () => calls };
}

describe('waitFor', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['false', false],
  ])('keeps polling while the probe returns %s', async (_, notYet) => {
    const { probe, calls } = probeAnswering([notYet, notYet], 'done');
    await expect(waitFor(probe, { intervalMs: 1 })).resolves.toBe('done');
    expect(calls()).toBe(3);
  });

  it('returns the first value that is not "not yet", including 0 and the empty string', async () => {
    await expect(waitFor(() => 0, { intervalMs: 1 })).resolves.toBe(0);
    await expect(waitFor(() => '', { intervalMs: 1 })).resolves.toBe('');
  });

  it('counts a thrown error as not yet and names the last one when it gives up', async () => {
    const { probe } = probeAnswering([], null);
    await expect(waitFor(probe, { timeoutMs: 20, intervalMs: 1, description: 'a null probe' })).rejects.toThrow(
      /timed out after 20 ms waiting for a null probe/,
    );
    await expect(
      waitFor(
        () => {
          throw new Error('not listening');
        },
        { timeoutMs: 20, intervalMs: 1 },
      ),
    ).rejects.toThrow(/last error: not listening/);
  });
});

describe('waitForIds', () => {
  it('waits for every id, not for a count that a duplicate reaches early', async () => {
    const arrivals = [['a'], ['a', 'a'], ['a', 'a', 'b']];
    let reads = 0;
    const read = () => (arrivals[Math.min(reads++, arrivals.length - 1)] as string[]).map((id) => ({ id }));
    const messages = await waitForIds(read, (message) => message.id, ['a', 'b'], { intervalMs: 1 });
    expect(messages.map((message) => message.id)).toEqual(['a', 'a', 'b']);
    expect(reads).toBe(3);
  });

  it('names what it waited for when an id never comes', async () => {
    await expect(
      waitForIds(
        () => [{ id: 'a' }],
        (message) => message.id,
        ['a', 'b'],
        { timeoutMs: 20, intervalMs: 1, description: 'ids a, b' },
      ),
    ).rejects.toThrow(/ids a, b/);
  });
});
