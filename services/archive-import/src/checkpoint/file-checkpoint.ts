import type { Logger } from '@touchstream/logging';
import type { Checkpoint } from './checkpoint';
import type { CheckpointStore } from './store';

/** A checkpoint could not be read or written (read-only folder, full disk): stop rather than import without one. */
export class CheckpointError extends Error {
  constructor(path: string, cause: unknown) {
    super(`cannot use the checkpoint ${path}: ${(cause as Error)?.message ?? String(cause)}; use --checkpoint-dir or --no-checkpoint`, {
      cause,
    });
    this.name = 'CheckpointError';
  }
}

/** The file's stored checkpoint; an unreadable one is logged and left out (the file is imported from its start). */
export async function readCheckpoint(store: CheckpointStore, path: string, logger: Logger): Promise<Checkpoint | undefined> {
  const read = await store.read(path).catch((error: unknown) => {
    throw new CheckpointError(store.pathFor(path), error);
  });
  if (read.unreadable)
    logger.warn('ignoring an unreadable checkpoint; importing the file from the beginning', {
      file: path,
      checkpoint: store.pathFor(path),
    });
  return read.checkpoint;
}

/** Writes the file's checkpoint; without a store (--no-checkpoint, --dry-run) there is none to write. */
export async function saveCheckpoint(store: CheckpointStore | null, path: string, checkpoint: Checkpoint): Promise<void> {
  if (!store) return;
  try {
    await store.write(checkpoint);
  } catch (error) {
    throw new CheckpointError(store.pathFor(path), error);
  }
}

/** Where a checkpoint stands, as a file's summary reports it. */
export function position(checkpoint: Checkpoint) {
  return { line: checkpoint.line, records: checkpoint.records, offset: checkpoint.offset, complete: checkpoint.complete };
}
