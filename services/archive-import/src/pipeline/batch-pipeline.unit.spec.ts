import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../formats/source-record';
import type { Batch } from './batch';
import { BatchPipeline } from './batch-pipeline';
import type { ProcessContext } from './process-records';
import { InlineProcessor, type RecordProcessor } from './processor';

const context: ProcessContext = { channel: 'file', now: new Date('2026-01-01T00:00:00Z'), window: {} };
const records = (from: number, count: number): SourceRecord[] =>
  Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return {
      kind: 'text',
      line: n,
      end: n * 10,
      endLine: n,
      text: JSON.stringify({ type: 'page', messageId: `m-${n}`, anonymousId: 'a' }),
    };
  });
const ids = (batch: Batch) =>
  batch.accepted.map((message) => (JSON.parse(String(message.value)) as { data: { event: { messageId: string } } }).data.event.messageId);

/** A delivery the test releases by hand. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('BatchPipeline', () => {
  it('delivers batches of exactly batchSize records, in input order, each ending where its last record ends', async () => {
    const delivered: Batch[] = [];
    const pipeline = new BatchPipeline({
      processor: new InlineProcessor(),
      maxQueuedJobs: 1,
      batchSize: 1_000,
      deliver: async (batch) => void delivered.push(batch),
    });
    await pipeline.take(records(1, 700), context);
    await pipeline.take(records(701, 1_600), context);
    await pipeline.finish();
    expect(delivered.map((batch) => batch.records)).toEqual([1_000, 1_000, 300]);
    expect(delivered.map((batch) => [batch.end, batch.line])).toEqual([
      [10_000, 1_000],
      [20_000, 2_000],
      [23_000, 2_300],
    ]);
    expect(delivered.flatMap(ids)).toEqual(Array.from({ length: 2_300 }, (_, i) => `m-${i + 1}`));
  });

  it('keeps input order when jobs finish out of order', async () => {
    const inline = new InlineProcessor();
    let calls = 0;
    // Every other job takes longer: results arrive out of order.
    const slow: RecordProcessor = {
      process: async (slice, ctx) => {
        const delay = calls++ % 2 === 0 ? 20 : 0;
        await new Promise((resolve) => setTimeout(resolve, delay));
        return inline.process(slice, ctx);
      },
      close: () => Promise.resolve(),
    };
    const delivered: Batch[] = [];
    const pipeline = new BatchPipeline({
      processor: slow,
      maxQueuedJobs: 6,
      batchSize: 1_000,
      deliver: async (batch) => void delivered.push(batch),
    });
    await pipeline.take(records(1, 3_500), context);
    await pipeline.finish();
    expect(delivered.flatMap(ids)).toEqual(Array.from({ length: 3_500 }, (_, i) => `m-${i + 1}`));
  });

  it('sends a batch only after the previous one is delivered, and stops reading while it waits', async () => {
    const first = gate();
    const started: number[] = [];
    const pipeline = new BatchPipeline({
      processor: new InlineProcessor(),
      maxQueuedJobs: 1,
      batchSize: 500,
      deliver: async (batch) => {
        started.push(batch.end);
        if (started.length === 1) await first.opened;
      },
    });
    await pipeline.take(records(1, 500), context); // batch 1 goes out and hangs
    let tookMore = false;
    const more = pipeline.take(records(501, 1_000), context).then(() => (tookMore = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([5_000]);
    expect(tookMore).toBe(false); // batch 2 is full and waits: the reader is held back
    first.open();
    await more;
    await pipeline.finish();
    expect(started).toEqual([5_000, 10_000, 15_000]);
  });

  it('on stop, waits for the batch in flight and drops what was not sent', async () => {
    const delivered: number[] = [];
    const pipeline = new BatchPipeline({
      processor: new InlineProcessor(),
      maxQueuedJobs: 1,
      batchSize: 100,
      deliver: async (batch) => void delivered.push(batch.records),
    });
    await pipeline.take(records(1, 150), context);
    await pipeline.stop();
    expect(delivered).toEqual([100]);
  });

  it('surfaces a failed delivery instead of delivering later batches', async () => {
    const delivered: number[] = [];
    const pipeline = new BatchPipeline({
      processor: new InlineProcessor(),
      maxQueuedJobs: 1,
      batchSize: 100,
      deliver: async (batch) => {
        if (delivered.length === 0) {
          delivered.push(-1);
          throw new Error('broker said no');
        }
        delivered.push(batch.records);
      },
    });
    await expect(
      (async () => {
        await pipeline.take(records(1, 250), context);
        await pipeline.finish();
      })(),
    ).rejects.toThrow('broker said no');
    expect(delivered).toEqual([-1]);
  });
});
