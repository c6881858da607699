import { describeError, type Logger } from '@touchstream/logging';
import type { IdentifyMarkRow, SinkStore, TrackMarkRow } from './sink-store';

/**
 * Records what was handled (delivered, dead-lettered, skipped) in Postgres off the delivery path:
 * marks from many requests are written together, one statement per table, while the next
 * requests go out. A mark only saves work (a redelivered or re-published event is skipped
 * instead of re-sent); Segment dedupes a re-send by its messageId anyway. So a mark that is
 * late, or lost in a crash, costs a duplicate request, never a lost event; a failed write is
 * retried with the next batch of marks.
 *
 * Identify and track marks are written by separate queues: an identify mark updates its fact's
 * row and waits for the fact writes in progress, a track mark is a row of its own and does not
 * (a later revision of a touch looks for it, and a missing one re-sends the track).
 */
export class MarkWriter {
  private readonly identifies: MarkQueue<IdentifyMarkRow>;
  private readonly tracks: MarkQueue<TrackMarkRow>;
  /** Fact writes in progress: an identify mark is an UPDATE of the fact's row, so it waits for them. */
  private readonly storing = new Set<Promise<unknown>>();

  constructor(store: SinkStore, logger: Logger) {
    this.identifies = new MarkQueue(async (rows) => {
      // Taken after the marks: each mark's fact write was registered before its delivery, so
      // before the mark was queued. A set taken before the marks (as it once was) could miss
      // the write of a fact delivered meanwhile; the UPDATE then found no row and the mark was
      // lost, so a replay sent that identify again (seen in CI).
      if (this.storing.size > 0) await Promise.all(this.storing);
      await store.markIdentifies(rows);
    }, logger);
    this.tracks = new MarkQueue((rows) => store.markTracks(rows), logger);
  }

  /** Identify marks written from now on wait for this write of facts (a delivery may answer before it commits). */
  afterStored(write: Promise<unknown>): void {
    const settled = write.catch(() => undefined);
    this.storing.add(settled);
    void settled.finally(() => this.storing.delete(settled));
  }

  identified(rows: readonly IdentifyMarkRow[]): void {
    this.identifies.add(rows);
  }

  tracked(rows: readonly TrackMarkRow[]): void {
    this.tracks.add(rows);
  }

  /** Marks not written yet (the status endpoint shows it; tests wait for 0). */
  pending(): number {
    return this.identifies.pending() + this.tracks.pending();
  }

  /** Resolves once everything recorded so far is written (or its write failed and was logged). */
  async drain(): Promise<void> {
    await Promise.all([this.identifies.drain(), this.tracks.drain()]);
  }
}

/** Marks of one kind, written in order by one loop at a time, each write taking everything queued. */
class MarkQueue<T> {
  private queued: T[] = [];
  /**
   * Whether the write loop runs. Cleared by the loop itself, in the same step as its last look at
   * the queue: a flag cleared later (in a callback on the loop's promise) left a gap in which a
   * new mark found the flag still set, was not scheduled, and waited for the next mark.
   */
  private active = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (rows: T[]) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  add(rows: readonly T[]): void {
    if (rows.length === 0) return;
    this.queued.push(...rows);
    if (this.active) return;
    this.active = true;
    this.writing = this.writeAll();
  }

  pending(): number {
    return this.queued.length + (this.active ? 1 : 0);
  }

  async drain(): Promise<void> {
    while (this.active) await this.writing;
  }

  private async writeAll(): Promise<void> {
    try {
      let failures = 0;
      while (this.queued.length > 0 && failures < 3) {
        const rows = this.queued.splice(0);
        try {
          await this.write(rows);
        } catch (error) {
          failures += 1;
          this.queued.unshift(...rows);
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
