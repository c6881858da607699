import type { WarehouseTable } from '../formats/warehouse';
import type { InputFormat, Compression } from '../input/detect';

/** What identifies a file's content well enough to trust an offset into it. */
export interface Fingerprint {
  size: number;
  mtimeMs: number;
}

/** What the offset means: the same records go to the same place. */
export interface CheckpointTarget {
  /** The raw topic (with its prefix); a checkpoint for another cluster's topic is not ours. */
  topic: string;
  since: string | null;
  until: string | null;
}

/**
 * How far one file got. Written only after Kafka acknowledged every record before `offset`, so
 * a resumed run loses nothing; records after it may have been sent too (at most one batch),
 * which is harmless because their messageIds, and so their envelope ids, are deterministic.
 */
export interface Checkpoint {
  version: 1;
  file: string;
  fingerprint: Fingerprint;
  target: CheckpointTarget;
  format: InputFormat;
  compression: Compression;
  /** Bytes of the (decompressed) content done: every record ending before it is acknowledged. */
  offset: number;
  /** Lines done (the next record starts on a later line). */
  line: number;
  /** Records done, by outcome (summed over every run that contributed). */
  records: number;
  imported: number;
  rejected: number;
  filtered: number;
  /** The CSV header, needed to resume mid-file. */
  csv?: { columns: string[]; table: WarehouseTable };
  complete: boolean;
  updatedAt: string;
}

export type ResumeDecision =
  | { action: 'start' }
  | { action: 'resume'; from: Checkpoint }
  | { action: 'skip'; reason: string; checkpoint: Checkpoint }
  | { action: 'refuse'; reason: string };

function sameTarget(a: CheckpointTarget, b: CheckpointTarget): boolean {
  return a.topic === b.topic && a.since === b.since && a.until === b.until;
}

/**
 * Decides what to do with a file given its checkpoint. A checkpoint only applies to the same
 * content (size and mtime) imported to the same topic with the same time window; anything else
 * is refused rather than guessed, and --restart starts over.
 */
export function decideResume(
  checkpoint: Checkpoint | undefined,
  current: { fingerprint: Fingerprint; target: CheckpointTarget },
  options: { restart: boolean },
): ResumeDecision {
  if (!checkpoint || options.restart) return { action: 'start' };
  const { fingerprint } = checkpoint;
  if (fingerprint.size !== current.fingerprint.size || fingerprint.mtimeMs !== current.fingerprint.mtimeMs) {
    return {
      action: 'refuse',
      reason: `the file changed since its checkpoint (size ${fingerprint.size} -> ${current.fingerprint.size}, mtime ${new Date(fingerprint.mtimeMs).toISOString()} -> ${new Date(current.fingerprint.mtimeMs).toISOString()}); pass --restart to import it from the beginning`,
    };
  }
  if (!sameTarget(checkpoint.target, current.target)) {
    return {
      action: 'refuse',
      reason: `the checkpoint is for topic ${checkpoint.target.topic} (since ${checkpoint.target.since ?? '-'}, until ${checkpoint.target.until ?? '-'}), not this run's; pass --restart to import it again`,
    };
  }
  if (checkpoint.complete) return { action: 'skip', reason: `already imported (${checkpoint.records} records)`, checkpoint };
  return { action: 'resume', from: checkpoint };
}

/** Advances a checkpoint past a batch the broker acknowledged. */
export function advance(
  checkpoint: Checkpoint,
  batch: { end: number; line: number; records: number; imported: number; rejected: number; filtered: number },
  now: Date,
): Checkpoint {
  return {
    ...checkpoint,
    offset: batch.end,
    line: batch.line,
    records: checkpoint.records + batch.records,
    imported: checkpoint.imported + batch.imported,
    rejected: checkpoint.rejected + batch.rejected,
    filtered: checkpoint.filtered + batch.filtered,
    updatedAt: now.toISOString(),
  };
}

/** Parses a checkpoint file's text; anything that is not a version-1 checkpoint is ignored. */
export function parseCheckpoint(text: string): Checkpoint | undefined {
  try {
    const value = JSON.parse(text) as Partial<Checkpoint>;
    if (value.version !== 1 || typeof value.offset !== 'number' || typeof value.file !== 'string' || !value.fingerprint || !value.target)
      return undefined;
    return value as Checkpoint;
  } catch {
    return undefined;
  }
}
