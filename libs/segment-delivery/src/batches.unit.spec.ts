import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextBatch, packBatches, requestBody, requestBodyBuffer } from './batches';
import { utf8Bytes } from './event-size';
import { checkLimits, DEFAULT_BATCH_LIMITS, REQUEST_OVERHEAD_BYTES, SEGMENT_LIMITS, type BatchLimits } from './limits';

const SENT_AT = new Date('2024-01-01T00:00:00.000Z');

/** Events as the sink serialises them: JSON objects with multi-byte text of varying length. */
const eventJson = fc
  .record({ text: fc.string({ unit: fc.constantFrom('a', 'é', '日', '🚀', '"', '\\'), maxLength: 400 }), n: fc.nat() })
  .map((value) => JSON.stringify({ type: 'track', messageId: `m-${value.n}`, properties: { campaign_name: value.text } }));

function bodyOf(events: readonly string[], start: number, end: number): string {
  return requestBody(events.slice(start, end), SENT_AT);
}

describe('packing events into requests', () => {
  it('keeps every request within the byte and count limits, counting UTF-8 bytes exactly, in order and greedily', () => {
    fc.assert(
      fc.property(
        fc.array(eventJson, { maxLength: 120 }),
        fc.integer({ min: 2_000, max: 20_000 }),
        fc.integer({ min: 1, max: 40 }),
        (events, maxRequestBytes, maxBatchEvents) => {
          const limits: BatchLimits = { maxEventBytes: 1_900, maxRequestBytes, maxBatchEvents };
          const sizes = events.map(utf8Bytes);
          const ranges = packBatches(sizes, limits);
          let expectedStart = 0;
          for (const range of ranges) {
            expect(range.start).toBe(expectedStart);
            const body = bodyOf(events, range.start, range.end);
            expect(utf8Bytes(body)).toBe(range.bytes);
            expect(range.bytes).toBeLessThanOrEqual(maxRequestBytes);
            expect(range.end - range.start).toBeLessThanOrEqual(maxBatchEvents);
            if (range.end < events.length && range.end - range.start < maxBatchEvents) {
              // Greedy: one more event would not have fitted.
              expect(utf8Bytes(bodyOf(events, range.start, range.end + 1))).toBeGreaterThan(maxRequestBytes);
            }
            expectedStart = range.end;
          }
          expect(expectedStart).toBe(events.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fills a request to the byte: multi-byte characters count three or four times', () => {
    const event = JSON.stringify({ c: '日'.repeat(100) }); // 300 bytes of text + 8
    const size = utf8Bytes(event);
    expect(size).toBe(308);
    const limits: BatchLimits = { maxEventBytes: 1_000, maxRequestBytes: REQUEST_OVERHEAD_BYTES + 3 * size + 2, maxBatchEvents: 2_500 };
    const ranges = packBatches([size, size, size, size], limits);
    expect(ranges.map((range) => range.end - range.start)).toEqual([3, 1]);
    expect(ranges[0]?.bytes).toBe(limits.maxRequestBytes);
    // Counting string length instead would have put all four in one request.
    expect(REQUEST_OVERHEAD_BYTES + 4 * (event.length + 1)).toBeLessThan(limits.maxRequestBytes);
  });

  it('never puts more than 2,500 events in a request', () => {
    const sizes = new Array<number>(6_000).fill(20);
    expect(packBatches(sizes, DEFAULT_BATCH_LIMITS).map((range) => range.end - range.start)).toEqual([2_500, 2_500, 1_000]);
  });

  it('writes the same body straight into a buffer of the counted size, and refuses a wrong count', () => {
    fc.assert(
      fc.property(fc.array(eventJson, { maxLength: 30 }), (events) => {
        const sized = events.map((json) => ({ json, bytes: utf8Bytes(json) }));
        expect(requestBodyBuffer(sized, SENT_AT).toString('utf8')).toBe(requestBody(events, SENT_AT));
      }),
    );
    expect(() => requestBodyBuffer([{ json: '"é"', bytes: 3 }], SENT_AT)).toThrow(/counted as 3 bytes but is 4/);
    expect(() => requestBodyBuffer([{ json: '"e"', bytes: 4 }], SENT_AT)).toThrow(/counted as 4 bytes but is 3/);
  });

  it('always takes at least one event', () => {
    expect(nextBatch([DEFAULT_BATCH_LIMITS.maxEventBytes], 0, DEFAULT_BATCH_LIMITS)).toMatchObject({ start: 0, end: 1 });
  });

  it("refuses limits above Segment's", () => {
    expect(checkLimits(DEFAULT_BATCH_LIMITS)).toEqual([]);
    expect(checkLimits(SEGMENT_LIMITS)).toEqual([]);
    expect(checkLimits({ maxEventBytes: 40_000, maxRequestBytes: 600_000, maxBatchEvents: 3_000 })).toHaveLength(3);
    expect(checkLimits({ maxEventBytes: 32_000, maxRequestBytes: 20_000, maxBatchEvents: 10 })).toHaveLength(1);
  });
});
