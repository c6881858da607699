import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliverIsolatingRejects, type RequestOutcome } from './isolate-rejects';

/** Segment as far as this algorithm sees it: a batch with any bad event is refused whole. */
function segmentRefusing(bad: ReadonlySet<number>) {
  const requests: number[][] = [];
  const send = async (items: number[]): Promise<RequestOutcome> => {
    requests.push(items);
    const culprit = items.find((item) => bad.has(item));
    return culprit === undefined ? { kind: 'delivered' } : { kind: 'rejected', detail: `HTTP 400: event ${culprit} is invalid` };
  };
  return { send, requests };
}

async function run(items: number[], bad: ReadonlySet<number>) {
  const segment = segmentRefusing(bad);
  const delivered: number[] = [];
  const rejected: Array<[number, string]> = [];
  await deliverIsolatingRejects(items, segment.send, {
    delivered: async (chunk) => void delivered.push(...chunk),
    rejected: async (item, detail) => void rejected.push([item, detail]),
  });
  return { delivered, rejected, requests: segment.requests };
}

describe('isolating the events Segment refuses', () => {
  it('sends a clean batch in one request', async () => {
    const { delivered, rejected, requests } = await run([1, 2, 3], new Set());
    expect(delivered).toEqual([1, 2, 3]);
    expect(rejected).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('splits until the refused event stands alone, delivers the rest, keeps the reason', async () => {
    const items = Array.from({ length: 16 }, (_, i) => i);
    const { delivered, rejected, requests } = await run(items, new Set([11]));
    expect(delivered.sort((a, b) => a - b)).toEqual(items.filter((item) => item !== 11));
    expect(rejected).toEqual([[11, 'HTTP 400: event 11 is invalid']]);
    // 1 + 2 per level below the top: log2(16) = 4 levels.
    expect(requests).toHaveLength(1 + 2 * 4);
  });

  it('delivers every good event and rejects exactly the bad ones, whatever their positions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(fc.constant(n), fc.subarray(Array.from({ length: n }, (_, i) => i)))),
        async ([n, badList]) => {
          const items = Array.from({ length: n }, (_, i) => i);
          const bad = new Set(badList);
          const { delivered, rejected } = await run(items, bad);
          expect(delivered.sort((a, b) => a - b)).toEqual(items.filter((item) => !bad.has(item)));
          expect(rejected.map(([item]) => item).sort((a, b) => a - b)).toEqual([...badList].sort((a, b) => a - b));
        },
      ),
    );
  });
});
