import type { Logger } from '@touchstream/logging';
import { advance, decideResume, type Checkpoint, type CheckpointTarget } from './checkpoint/checkpoint';
import { CheckpointError, position, readCheckpoint, saveCheckpoint } from './checkpoint/file-checkpoint';
import type { CheckpointStore } from './checkpoint/store';
import { CsvFormatError } from './formats/csv';
import { JsonArrayFormatError } from './formats/json-array';
import type { SourceRecord } from './formats/source-record';
import { makeSplitter, type Splitter } from './formats/splitter';
import type { WarehouseTable } from './formats/warehouse';
import { readContent, inspectFile, type InputFileInfo } from './input/content';
import type { InputFormat } from './input/detect';
import type { DiscoveredFile } from './input/discover';
import type { Batch } from './pipeline/batch';
import { BatchPipeline } from './pipeline/batch-pipeline';
import type { ProcessContext, ProcessedRecords } from './pipeline/process-records';
import type { RecordProcessor } from './pipeline/processor';
import type { RecordSink } from './pipeline/sink';
import type { TimeWindow } from './pipeline/time-window';
import type { RunStats } from './progress/stats';
import type { FileSummary, RejectionNote } from './summary';

export interface ImportOptions {
  dryRun: boolean;
  window: TimeWindow;
  /** The --since/--until text, kept in checkpoints (a resumed run must filter the same way). */
  windowText: { since: string | null; until: string | null };
  batchSize: number;
  /** null: --no-checkpoint or --dry-run. */
  checkpoints: CheckpointStore | null;
  restart: boolean;
  csvTable?: WarehouseTable;
  maxRecordBytes?: number;
}

export interface ImportDeps {
  sink: RecordSink;
  processor: RecordProcessor;
  /** Jobs handed to the processor before the oldest one is awaited (1 when processing inline). */
  maxQueuedJobs: number;
  stats: RunStats;
  logger: Logger;
  now: () => Date;
  /** Polled between batches: true after SIGINT/SIGTERM. */
  shouldStop: () => boolean;
  onRejection?: (note: RejectionNote) => void;
}

export interface ImportResult {
  files: FileSummary[];
  outcome: 'completed' | 'interrupted' | 'kafka-error' | 'checkpoint-error';
}

/** Kafka refused or timed out a batch: stop, the checkpoint already holds the last good position. */
export class DeliveryError extends Error {
  constructor(cause: unknown) {
    super(`Kafka did not acknowledge a batch: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'DeliveryError';
  }
}

/**
 * Imports files one after another. Each file streams through: read a chunk, cut records,
 * validate and normalise them, gather a batch; a batch is sent while the next one is read, but
 * a batch is only sent once the previous one is acknowledged and its checkpoint written. So at
 * most two batches are in memory, and a checkpoint never runs ahead of what Kafka holds.
 */
export async function importFiles(files: readonly DiscoveredFile[], options: ImportOptions, deps: ImportDeps): Promise<ImportResult> {
  const summaries: FileSummary[] = [];
  for (const file of files) {
    if (deps.shouldStop()) return { files: summaries, outcome: 'interrupted' };
    let info: InputFileInfo | undefined;
    try {
      info = await inspectFile(file.path);
    } catch (error) {
      summaries.push(empty(file.path, 'failed', `cannot read the file: ${(error as Error).message}`));
      continue;
    }
    if (!info.detection.format) {
      deps.stats.doneBytes += info.size;
      deps.stats.filesDone++;
      summaries.push(empty(file.path, file.explicit ? 'failed' : 'unrecognised', info.detection.reason));
      continue;
    }
    try {
      const summary = await importFile(info, info.detection.format, options, deps);
      summaries.push(summary);
      if (summary.status === 'interrupted') return { files: summaries, outcome: 'interrupted' };
    } catch (error) {
      if (error instanceof DeliveryError || error instanceof CheckpointError) {
        summaries.push({ ...empty(file.path, 'failed', error.message), format: info.detection.format, compression: info.compression });
        return { files: summaries, outcome: error instanceof DeliveryError ? 'kafka-error' : 'checkpoint-error' };
      }
      throw error;
    } finally {
      deps.stats.filesDone++;
      deps.stats.file = null;
    }
  }
  return { files: summaries, outcome: 'completed' };
}

function empty(file: string, status: FileSummary['status'], message?: string): FileSummary {
  return { file, status, records: 0, imported: 0, rejected: 0, filtered: 0, ...(message ? { message } : {}) };
}

/** Decides from the file's checkpoint whether to import it, resume it, skip it or refuse it, then does. */
async function importFile(info: InputFileInfo, format: InputFormat, options: ImportOptions, deps: ImportDeps): Promise<FileSummary> {
  const path = info.path;
  const target: CheckpointTarget = { topic: deps.sink.rawTopic ?? '(dry run)', ...options.windowText };
  const fingerprint = { size: info.size, mtimeMs: info.mtimeMs };
  const store = options.checkpoints;
  const stored = store ? await readCheckpoint(store, path, deps.logger) : undefined;
  const decision = decideResume(stored, { fingerprint, target }, { restart: options.restart });
  const base = { file: path, format, compression: info.compression };
  if (decision.action === 'refuse') {
    deps.stats.doneBytes += info.size;
    return { ...empty(path, 'failed', decision.reason), ...base };
  }
  if (decision.action === 'skip') {
    deps.stats.doneBytes += info.size;
    return {
      ...empty(path, 'skipped', `${decision.reason}; pass --restart to import it again`),
      ...base,
      checkpoint: { ...position(decision.checkpoint), complete: true },
    };
  }
  const from = decision.action === 'resume' ? decision.from : undefined;
  const checkpoint: Checkpoint = from ?? {
    version: 1,
    file: path,
    fingerprint,
    target,
    format,
    compression: info.compression,
    offset: 0,
    line: 0,
    records: 0,
    imported: 0,
    rejected: 0,
    filtered: 0,
    complete: false,
    updatedAt: deps.now().toISOString(),
  };
  // Before anything is sent: a folder where checkpoints cannot be written fails here, not after a batch.
  await saveCheckpoint(store, path, checkpoint);
  return new FileImport({ info, format, from, checkpoint }, options, deps).run();
}

/** Where a file's import starts: `from` its checkpoint when it resumes, and the checkpoint it keeps. */
interface FileStart {
  info: InputFileInfo;
  format: InputFormat;
  from: Checkpoint | undefined;
  checkpoint: Checkpoint;
}

/**
 * One file streamed through the pipeline: its checkpoint moves on, and is written, after each
 * batch Kafka acknowledged, and its summary counts what those batches held.
 */
class FileImport {
  private readonly path: string;
  private checkpoint: Checkpoint;
  private readonly summary: FileSummary;
  private readonly splitter: Splitter;
  private readonly context: ProcessContext;
  private readonly pipeline: BatchPipeline;

  constructor(
    private readonly start: FileStart,
    private readonly options: ImportOptions,
    private readonly deps: ImportDeps,
  ) {
    const { info, format, from } = start;
    this.path = info.path;
    this.checkpoint = start.checkpoint;
    const status = options.dryRun ? 'validated' : from ? 'resumed' : 'imported';
    this.summary = { ...empty(this.path, status), file: this.path, format, compression: info.compression };
    if (from) this.summary.resumedFrom = { line: from.line, records: from.records, offset: from.offset };
    this.splitter = makeSplitter(this.path, format, from, options);
    this.context = { channel: this.path, now: deps.now(), window: options.window };
    this.pipeline = new BatchPipeline({
      processor: deps.processor,
      maxQueuedJobs: deps.maxQueuedJobs,
      batchSize: options.batchSize,
      deliver: (batch) => this.deliver(batch),
      onProcessed: (processed) => this.countProcessed(processed),
    });
  }

  async run(): Promise<FileSummary> {
    const { info, from } = this.start;
    if (from && info.compression === 'none') this.deps.stats.doneBytes += Math.min(from.offset, info.size);
    this.deps.stats.file = this.path;
    let stopped: boolean;
    try {
      stopped = await this.readAll();
    } catch (error) {
      return this.readFailed(error);
    }
    if (stopped) {
      // Only what is acknowledged counts; records read but not sent are read again on resume.
      await this.pipeline.stop();
      return { ...this.summary, status: 'interrupted', checkpoint: position(this.checkpoint) };
    }
    await this.pipeline.finish();
    this.checkpoint = { ...this.checkpoint, complete: true, updatedAt: this.deps.now().toISOString() };
    await saveCheckpoint(this.options.checkpoints, this.path, this.checkpoint);
    return { ...this.summary, checkpoint: position(this.checkpoint) };
  }

  /** Reads the file to its end, or until a stop is asked for between chunks: true when stopped. */
  private async readAll(): Promise<boolean> {
    const { stats } = this.deps;
    const { info, from } = this.start;
    for await (const chunk of readContent(this.path, info.compression, from?.offset ?? 0, (bytes) => (stats.doneBytes += bytes))) {
      await this.take(this.splitter.push(chunk));
      if (this.deps.shouldStop()) return true;
    }
    await this.take(this.splitter.end());
    return false;
  }

  private take(records: SourceRecord[]): Promise<void> {
    const header = this.splitter.headerInfo?.();
    if (header) this.context.csv = header;
    return this.pipeline.take(records, { ...this.context, now: this.deps.now() });
  }

  private async readFailed(error: unknown): Promise<FileSummary> {
    if (error instanceof JsonArrayFormatError || error instanceof CsvFormatError || isReadError(error)) {
      // The records before the fault are good: import them, then report the file.
      await this.pipeline.finish();
      return {
        ...this.summary,
        status: 'failed',
        message: `${(error as Error).message}; the records before it were ${this.options.dryRun ? 'validated' : 'imported'}`,
        checkpoint: position(this.checkpoint),
      };
    }
    // What was acknowledged stays acknowledged: settle what is in flight before giving up.
    await this.pipeline.abandon();
    throw error;
  }

  /** Sends a batch; once Kafka acknowledged it, moves the checkpoint past it and counts it. */
  private async deliver(batch: Batch): Promise<void> {
    try {
      await this.deps.sink.send(batch.accepted, batch.rejected);
    } catch (error) {
      throw new DeliveryError(error);
    }
    const counts = batch.counts();
    this.checkpoint = advance(this.checkpoint, counts, this.deps.now());
    if (!this.checkpoint.csv && this.splitter.headerInfo?.()) this.checkpoint = { ...this.checkpoint, csv: this.splitter.headerInfo?.() };
    await saveCheckpoint(this.options.checkpoints, this.path, this.checkpoint);
    this.deps.stats.imported += counts.imported;
    this.summary.imported += counts.imported;
    this.summary.rejected += counts.rejected;
    this.summary.filtered += counts.filtered;
    this.summary.records += counts.records;
  }

  private countProcessed(processed: ProcessedRecords): void {
    const { stats } = this.deps;
    stats.records += processed.records;
    stats.rejected += processed.rejected.length;
    stats.filtered += processed.filtered;
    for (const rejection of processed.rejections)
      this.deps.onRejection?.({ file: this.path, line: rejection.line, reason: rejection.reason });
  }
}

/** zlib and fs errors: the file is corrupt or went away mid-read. */
function isReadError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(Z_[A-Z_]+|E[A-Z]+)$/.test(code);
}
