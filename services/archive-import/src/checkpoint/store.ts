import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseCheckpoint, type Checkpoint } from './checkpoint';

export const CHECKPOINT_SUFFIX = '.touchstream-checkpoint.json';

/**
 * Where checkpoints live: next to each file (<file>.touchstream-checkpoint.json) or, with
 * --checkpoint-dir, in one folder (for read-only archives), named by the file's path hash.
 */
export class CheckpointStore {
  constructor(private readonly dir: string | undefined) {}

  pathFor(file: string): string {
    if (!this.dir) return `${file}${CHECKPOINT_SUFFIX}`;
    const hash = createHash('sha256').update(file).digest('hex').slice(0, 16);
    return join(this.dir, `${basename(file)}.${hash}${CHECKPOINT_SUFFIX}`);
  }

  async read(file: string): Promise<{ checkpoint: Checkpoint | undefined; unreadable: boolean }> {
    const text = await readFile(this.pathFor(file), 'utf8').catch((error: NodeJS.ErrnoException) => {
      // ENOTDIR: a path component is a file, so no checkpoint can be there either.
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (text === undefined) return { checkpoint: undefined, unreadable: false };
    const checkpoint = parseCheckpoint(text);
    return { checkpoint, unreadable: checkpoint === undefined };
  }

  /** Write-then-rename: a crash leaves the old checkpoint or the new one, never half of one. */
  async write(checkpoint: Checkpoint): Promise<void> {
    const path = this.pathFor(checkpoint.file);
    const temporary = `${path}.tmp`;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`);
    await rename(temporary, path);
  }

  async remove(file: string): Promise<void> {
    await rm(this.pathFor(file), { force: true });
  }
}
