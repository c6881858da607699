import { describeError, type Logger } from '@touchstream/logging';
import type { IdentifyMarkRow, SinkStore, TrackHandling } from './sink-store';

/**
 * Records what was handled (delivered, dead-lettered, skipped) in Postgres off the delivery path:
 * marks from many requests are written together, one statement per table, while the next
 * requests go out. A mark only saves work (a redelivered or re-published event is skipped
 * instead of re-sent); Segment dedupes a re-send by its messageId anyway. So a mark that is
 * late, or lost in a crash, costs a duplicate request, never a lost event; a failed write is
 * retried with the next batch of marks.
 */
export class MarkWriter {
  private identifies: IdentifyMarkRow[] = [];
  private tracks: Array<{ touchId: string; outcome: TrackHandling }> = [];
  /**
   * Whether the write loop runs. Cleared by the loop itself, in the same step as its last look at
   * the queues: a flag cleared later (in a callback on the loop's promise) left a gap in which a
   * new mark found the flag still set, was not scheduled, and waited for the next mark.
   */
  private active = false;
  private writing: Promise<void> = Promise.resolve();
  /** Fact writes in progress: a mark is an UPDATE of the fact's row, so it waits for them. */
  private readonly storing = new Set<Promise<unknown>>();

  constructor(
    private readonly store: SinkStore,
    private readonly logger: Logger,
  ) {}

  /** Marks written from now on wait for this write of facts (a delivery may answer before it commits). */
  afterStored(write: Promise<unknown>): void {
    const settled = write.catch(() => undefined);
    this.storing.add(settled);
    void settled.finally(() => this.storing.delete(settled));
  }

  identified(rows: readonly IdentifyMarkRow[]): void {
    if (rows.length === 0) return;
    this.identifies.push(...rows);
    this.schedule();
  }

  tracked(rows: ReadonlyArray<{ touchId: string; outcome: TrackHandling }>): void {
    if (rows.length === 0) return;
    this.tracks.push(...rows);
    this.schedule();
  }

  /** Marks not written yet (the status endpoint shows it; tests wait for 0). */
  pending(): number {
    return this.identifies.length + this.tracks.length + (this.active ? 1 : 0);
  }

  /** Resolves once everything recorded so far is written (or its write failed and was logged). */
  async drain(): Promise<void> {
    while (this.active) await this.writing;
  }

  private schedule(): void {
    if (this.active) return;
    this.active = true;
    this.writing = this.writeAll();
  }

  private async writeAll(): Promise<void> {
    try {
      let failures = 0;
      while (this.identifies.length + this.tracks.length > 0 && failures < 3) {
        const identifies = this.identifies.splice(0);
        const tracks = this.tracks.splice(0);
        // Taken after the marks: each mark's fact write was registered before its delivery, so
        // before the mark was queued. A set taken before the marks (as it once was) could miss
        // the write of a fact delivered meanwhile; its UPDATE then found no row and the mark
        // was lost, so a replay sent that identify again (seen in CI).
        if (this.storing.size > 0) await Promise.all(this.storing);
        try {
          await Promise.all([this.store.markIdentifies(identifies), this.store.markTracks(tracks)]);
        } catch (error) {
          failures += 1;
          this.identifies.unshift(...identifies);
          this.tracks.unshift(...tracks);
          this.logger.warn('could not record handled events; retrying with the next marks', {
            failures,
            ...describeError(error, { stack: false }),
          });
        }
      }
    } finally {
      this.active = false;
    }
  }
}
