import type { Logger } from '@touchstream/logging';
import { advance, decideResume, type Checkpoint, type CheckpointTarget } from './checkpoint/checkpoint';
import type { CheckpointStore } from './checkpoint/store';
import { CsvFormatError, CsvSplitter } from './formats/csv';
import { JsonArrayFormatError, JsonArraySplitter } from './formats/json-array';
import { LineSplitter } from './formats/ndjson';
import { DEFAULT_MAX_RECORD_BYTES, type SourceRecord } from './formats/source-record';
import type { WarehouseTable } from './formats/warehouse';
import { readContent, inspectFile, type InputFileInfo } from './input/content';
import type { InputFormat } from './input/detect';
import type { DiscoveredFile } from './input/discover';
import { BatchPipeline } from './pipeline/batch-pipeline';
import type { ProcessContext } from './pipeline/process-records';
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

/** A checkpoint could not be read or written (read-only folder, full disk): stop rather than import without one. */
export class CheckpointError extends Error {
  constructor(path: string, cause: unknown) {
    super(`cannot use the checkpoint ${path}: ${(cause as Error)?.message ?? String(cause)}; use --checkpoint-dir or --no-checkpoint`, {
      cause,
    });
    this.name = 'CheckpointError';
  }
}

/** Kafka refused or timed out a batch: stop, the checkpoint already holds the last good position. */
export class DeliveryError extends Error {
  constructor(cause: unknown) {
    super(`Kafka did not acknowledge a batch: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'DeliveryError';
  }
}

interface Splitter {
  push(chunk: Buffer): SourceRecord[];
  end(): SourceRecord[];
  headerInfo?(): { columns: string[]; table: WarehouseTable } | undefined;
}

function makeSplitter(file: string, format: InputFormat, from: Checkpoint | undefined, options: ImportOptions): Splitter {
  const offset = from?.offset ?? 0;
  const line = from?.line ?? 0;
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  switch (format) {
    case 'ndjson':
      return new LineSplitter({ offset, line }, max);
    case 'json-array':
      return new JsonArraySplitter({ offset, line, insideArray: offset > 0 }, max);
    case 'csv': {
      const splitter = new CsvSplitter(file, { offset, line, header: from?.csv }, options.csvTable);
      return { push: (chunk) => splitter.push(chunk), end: () => splitter.end(), headerInfo: () => splitter.headerInfo() };
    }
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

async function importFile(info: InputFileInfo, format: InputFormat, options: ImportOptions, deps: ImportDeps): Promise<FileSummary> {
  const { stats, sink, logger } = deps;
  const path = info.path;
  const target: CheckpointTarget = { topic: sink.rawTopic ?? '(dry run)', ...options.windowText };
  const fingerprint = { size: info.size, mtimeMs: info.mtimeMs };
  const store = options.checkpoints;
  let stored: Checkpoint | undefined;
  if (store) {
    const read = await store.read(path).catch((error: unknown) => {
      throw new CheckpointError(store.pathFor(path), error);
    });
    if (read.unreadable)
      logger.warn('ignoring an unreadable checkpoint; importing the file from the beginning', {
        file: path,
        checkpoint: store.pathFor(path),
      });
    stored = read.checkpoint;
  }
  const decision = decideResume(stored, { fingerprint, target }, { restart: options.restart });
  const base = { file: path, format, compression: info.compression };
  if (decision.action === 'refuse') {
    stats.doneBytes += info.size;
    return { ...empty(path, 'failed', decision.reason), ...base };
  }
  if (decision.action === 'skip') {
    stats.doneBytes += info.size;
    const { checkpoint } = decision;
    return {
      ...empty(path, 'skipped', `${decision.reason}; pass --restart to import it again`),
      ...base,
      checkpoint: { line: checkpoint.line, records: checkpoint.records, offset: checkpoint.offset, complete: true },
    };
  }
  const from = decision.action === 'resume' ? decision.from : undefined;
  let checkpoint: Checkpoint = from ?? {
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
  const saveCheckpoint = async () => {
    if (!store) return;
    try {
      await store.write(checkpoint);
    } catch (error) {
      throw new CheckpointError(store.pathFor(path), error);
    }
  };
  // Before anything is sent: a folder where checkpoints cannot be written fails here, not after a batch.
  await saveCheckpoint();
  const summary: FileSummary = { ...empty(path, options.dryRun ? 'validated' : from ? 'resumed' : 'imported'), ...base };
  if (from) summary.resumedFrom = { line: from.line, records: from.records, offset: from.offset };
  if (from && info.compression === 'none') stats.doneBytes += Math.min(from.offset, info.size);
  stats.file = path;

  const splitter = makeSplitter(path, format, from, options);
  const context: ProcessContext = { channel: path, now: deps.now(), window: options.window };
  const pipeline = new BatchPipeline({
    processor: deps.processor,
    maxQueuedJobs: deps.maxQueuedJobs,
    batchSize: options.batchSize,
    deliver: async (batch) => {
      try {
        await sink.send(batch.accepted, batch.rejected);
      } catch (error) {
        throw new DeliveryError(error);
      }
      const counts = batch.counts();
      checkpoint = advance(checkpoint, counts, deps.now());
      if (!checkpoint.csv && splitter.headerInfo?.()) checkpoint = { ...checkpoint, csv: splitter.headerInfo?.() };
      await saveCheckpoint();
      stats.imported += counts.imported;
      summary.imported += counts.imported;
      summary.rejected += counts.rejected;
      summary.filtered += counts.filtered;
      summary.records += counts.records;
    },
    onProcessed: (processed) => {
      stats.records += processed.records;
      stats.rejected += processed.rejected.length;
      stats.filtered += processed.filtered;
      for (const rejection of processed.rejections) deps.onRejection?.({ file: path, line: rejection.line, reason: rejection.reason });
    },
  });
  const take = (records: SourceRecord[]) => {
    const header = splitter.headerInfo?.();
    if (header) context.csv = header;
    return pipeline.take(records, { ...context, now: deps.now() });
  };

  let stopped = false;
  try {
    for await (const chunk of readContent(path, info.compression, from?.offset ?? 0, (bytes) => (stats.doneBytes += bytes))) {
      await take(splitter.push(chunk));
      if (deps.shouldStop()) {
        stopped = true;
        break;
      }
    }
    if (!stopped) await take(splitter.end());
  } catch (error) {
    if (error instanceof JsonArrayFormatError || error instanceof CsvFormatError || isReadError(error)) {
      // The records before the fault are good: import them, then report the file.
      await pipeline.finish();
      return {
        ...summary,
        status: 'failed',
        message: `${(error as Error).message}; the records before it were ${options.dryRun ? 'validated' : 'imported'}`,
        checkpoint: position(checkpoint),
      };
    }
    // What was acknowledged stays acknowledged: settle what is in flight before giving up.
    await pipeline.abandon();
    throw error;
  }
  if (stopped) {
    // Only what is acknowledged counts; records read but not sent are read again on resume.
    await pipeline.stop();
    return { ...summary, status: 'interrupted', checkpoint: position(checkpoint) };
  }
  await pipeline.finish();
  checkpoint = { ...checkpoint, complete: true, updatedAt: deps.now().toISOString() };
  await saveCheckpoint();
  return { ...summary, checkpoint: position(checkpoint) };
}

function position(checkpoint: Checkpoint) {
  return { line: checkpoint.line, records: checkpoint.records, offset: checkpoint.offset, complete: checkpoint.complete };
}

/** zlib and fs errors: the file is corrupt or went away mid-read. */
function isReadError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(Z_[A-Z_]+|E[A-Z]+)$/.test(code);
}
