import { Worker } from 'node:worker_threads';
import type { SourceRecord } from '../formats/source-record';
import { processRecords, type ProcessContext, type ProcessedRecords } from './process-records';

/** Turns records into Kafka messages, on this thread or on worker threads. */
export interface RecordProcessor {
  process(records: SourceRecord[], context: ProcessContext): Promise<ProcessedRecords>;
  close(): Promise<void>;
}

export class InlineProcessor implements RecordProcessor {
  process(records: SourceRecord[], context: ProcessContext): Promise<ProcessedRecords> {
    return Promise.resolve(processRecords(records, context));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface WorkerRequest {
  id: number;
  records: SourceRecord[];
  context: ProcessContext;
}
/**
 * The accepted messages' values travel as one transferred buffer (no copy, no UTF-8 encoding on
 * the producer's thread: kafkajs takes Buffers as they are); everything else is cloned.
 */
export interface PackedResult {
  result: ProcessedRecords;
  values: Uint8Array;
  offsets: Uint32Array;
}
export type WorkerResponse = { id: number; ok: true; packed: PackedResult } | { id: number; ok: false; error: string };

/** Moves the accepted values into one buffer (the worker side of PackedResult). */
export function packValues(result: ProcessedRecords): PackedResult {
  const offsets = new Uint32Array(result.accepted.length + 1);
  let total = 0;
  for (let i = 0; i < result.accepted.length; i++) {
    const value = (result.accepted[i] as { value: Buffer | string }).value;
    total += typeof value === 'string' ? Buffer.byteLength(value) : value.length;
    offsets[i + 1] = total;
  }
  // allocUnsafeSlow: a buffer of its own (not a slice of the shared pool), so it can be transferred.
  const values = Buffer.allocUnsafeSlow(total);
  result.accepted.forEach((message, i) => {
    const at = offsets[i] as number;
    if (typeof message.value === 'string') values.write(message.value, at);
    else message.value.copy(values, at);
    message.value = '';
  });
  return { result, values, offsets };
}

/** Puts the values back as Buffer views of the transferred buffer (the pool side). */
export function unpackValues({ result, values, offsets }: PackedResult): ProcessedRecords {
  const buffer = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  result.accepted.forEach((message, i) => {
    message.value = buffer.subarray(offsets[i], offsets[i + 1]);
  });
  return result;
}

/** Plenty for a few jobs of 500 records; a leak would fail the worker loudly instead of growing. */
const WORKER_HEAP = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 128 };

interface Job {
  request: WorkerRequest;
  resolve: (result: ProcessedRecords) => void;
  reject: (error: Error) => void;
}

/**
 * Parsing, validation, normalisation and serialisation on worker threads, so the thread that
 * drives the Kafka producer only cuts records and sends. Jobs go to the least busy worker;
 * callers get their results through their own promise, so they can keep input order however
 * the jobs finish. A worker that dies fails its jobs (the import stops at the last checkpoint).
 */
export class WorkerPoolProcessor implements RecordProcessor {
  private readonly workers: { worker: Worker; jobs: Map<number, Job> }[] = [];
  private nextId = 0;
  private closed = false;

  constructor(script: string, size: number) {
    for (let i = 0; i < size; i++) {
      // A worker holds a few jobs at a time: a small heap keeps the import's memory flat.
      const worker = new Worker(script, { resourceLimits: WORKER_HEAP });
      const slot = { worker, jobs: new Map<number, Job>() };
      worker.on('message', (response: WorkerResponse) => {
        const job = slot.jobs.get(response.id);
        if (!job) return;
        slot.jobs.delete(response.id);
        if (response.ok) job.resolve(unpackValues(response.packed));
        else job.reject(new Error(response.error));
      });
      const failAll = (error: Error) => {
        for (const job of slot.jobs.values()) job.reject(error);
        slot.jobs.clear();
      };
      worker.on('error', failAll);
      worker.on('exit', (code) => {
        if (!this.closed) failAll(new Error(`a processing worker exited with code ${code}`));
      });
      this.workers.push(slot);
    }
  }

  process(records: SourceRecord[], context: ProcessContext): Promise<ProcessedRecords> {
    if (this.closed) return Promise.reject(new Error('the processor is closed'));
    const slot = this.workers.reduce((best, candidate) => (candidate.jobs.size < best.jobs.size ? candidate : best));
    const request: WorkerRequest = { id: this.nextId++, records, context };
    return new Promise((resolve, reject) => {
      slot.jobs.set(request.id, { request, resolve, reject });
      slot.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }
}
