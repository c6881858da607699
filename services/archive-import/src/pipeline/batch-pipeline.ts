import type { SourceRecord } from '../formats/source-record';
import { Batch } from './batch';
import type { ProcessContext, ProcessedRecords } from './process-records';
import type { RecordProcessor } from './processor';

/** Records per processing job: small enough to keep workers busy, large enough to amortise messaging. */
export const JOB_RECORDS = 500;

export interface BatchPipelineOptions {
  processor: RecordProcessor;
  /** Jobs handed to the processor before the oldest one is awaited (1 when processing inline). */
  maxQueuedJobs: number;
  batchSize: number;
  /** Sends a batch and records its checkpoint; resolves once both are done. */
  deliver: (batch: Batch) => Promise<void>;
  /** Each job's result, in input order, as it joins a batch (progress, rejection notes). */
  onProcessed?: (processed: ProcessedRecords) => void;
}

/**
 * Records in, acknowledged batches out, in input order. Records are processed in jobs (on
 * workers, possibly finishing out of order) and gathered into batches of exactly `batchSize`
 * records (the last one may be smaller). Batch N+1 is delivered only after batch N's delivery
 * resolved, while records for batch N+2 are already being read and processed: at most one batch
 * in flight and one filling, so memory is bounded and a checkpoint never runs ahead of Kafka.
 */
export class BatchPipeline {
  private batch = new Batch();
  private readonly jobs: Promise<ProcessedRecords>[] = [];
  private queuedInBatch = 0;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: BatchPipelineOptions) {}

  /** Queues records; returns once the queue is short enough to take more (backpressure). */
  async take(records: readonly SourceRecord[], context: ProcessContext): Promise<void> {
    const { batchSize, maxQueuedJobs, processor } = this.options;
    let at = 0;
    while (at < records.length) {
      // Jobs never straddle a batch boundary, so a batch is made of whole jobs.
      const room = Math.min(batchSize - this.queuedInBatch, JOB_RECORDS);
      const slice = records.slice(at, at + room);
      at += slice.length;
      this.queuedInBatch = (this.queuedInBatch + slice.length) % batchSize;
      const job = processor.process(slice, context);
      job.catch(() => undefined); // awaited in order by absorb(); never an unhandled rejection
      this.jobs.push(job);
      while (this.jobs.length >= maxQueuedJobs) await this.absorb();
    }
  }

  /** Delivers everything taken so far and waits for it. */
  async finish(): Promise<void> {
    while (this.jobs.length > 0) await this.absorb();
    await this.flush();
    await this.settled();
  }

  /** Stops without delivering more: waits for the batch in flight (its checkpoint counts), drops the rest. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.jobs);
    this.jobs.length = 0;
    await this.settled();
  }

  /** After a failure: lets everything started settle, reporting nothing. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.jobs);
    this.jobs.length = 0;
    await this.inFlight?.catch(() => undefined);
  }

  private async settled(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    this.inFlight = undefined;
  }

  private async absorb(): Promise<void> {
    const processed = await (this.jobs.shift() as Promise<ProcessedRecords>);
    this.batch.add(processed);
    this.options.onProcessed?.(processed);
    if (this.batch.records >= this.options.batchSize) await this.flush();
  }

  /** Waits for the previous delivery (backpressure), then starts this batch's. */
  private async flush(): Promise<void> {
    await this.settled();
    if (this.batch.records === 0) return;
    const sending = this.batch;
    this.batch = new Batch();
    this.inFlight = this.options.deliver(sending);
    this.inFlight.catch(() => undefined); // surfaced at the next settled()
  }
}
