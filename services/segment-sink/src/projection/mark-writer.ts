import { describeError, type Logger } from '@touchstream/logging';
import type { IdentifyMarkRow, SinkStore, TrackMarkRow } from './sink.store';

export type MarkCall = 'identify' | 'track';
/** no-row: an identify mark whose fact has no row; write-failed: dropped at close, never written. */
export type MarkLoss = 'no-row' | 'write-failed';

/** Told of marks that will not be written (the sink's metrics). */
export interface MarkObserver {
  marksLost(call: MarkCall, reason: MarkLoss, count: number): void;
}

/**
 * Records what was handled (delivered, dead-lettered, skipped) in Postgres off the delivery path:
 * marks from many requests are written together, one statement per table, while the next
 * requests go out. A mark only saves work (a redelivered or re-published event is skipped
 * instead of re-sent); Segment dedupes a re-send by its messageId anyway. So a mark that is
 * late, or lost in a crash, costs a duplicate request, never a lost event; a failed write is
 * retried with the next batch of marks.
 *
 * Marks lost otherwise are counted (`MarkObserver`, the sink's metrics, and `lost()` for the
 * status endpoint) and logged: an identify mark whose fact has no row (its UPDATE finds nothing;
 * one skipped because a newer version is already handled is not lost), and marks still unwritten
 * when the writer closes at shutdown (their writes kept failing). A crash loses the queued marks
 * without a count.
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
  private lostMarks = 0;

  constructor(store: SinkStore, logger: Logger, observer: MarkObserver = { marksLost: () => undefined }) {
    const lose = (call: MarkCall, reason: MarkLoss, count: number) => {
      this.lostMarks += count;
      observer.marksLost(call, reason, count);
    };
    this.identifies = new MarkQueue(
      'identify',
      async (rows) => {
        // Taken after the marks: each mark's fact write was registered before its delivery, so
        // before the mark was queued. A set taken before the marks (as it once was) could miss
        // the write of a fact delivered meanwhile; the UPDATE then found no row and the mark was
        // lost, so a replay sent that identify again (seen in CI).
        if (this.storing.size > 0) await Promise.all(this.storing);
        const { noRow } = await store.markIdentifies(rows);
        if (noRow === 0) return;
        lose('identify', 'no-row', noRow);
        logger.warn('handled identifies found no fact row to mark; a redelivery may send them again (a duplicate request)', {
          subjects: noRow,
        });
      },
      logger,
      (count) => lose('identify', 'write-failed', count),
    );
    this.tracks = new MarkQueue(
      'track',
      (rows) => store.markTracks(rows),
      logger,
      (count) => lose('track', 'write-failed', count),
    );
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

  /** Marks given up since boot (no fact row, or dropped at close): each may cost a duplicate request. */
  lost(): number {
    return this.lostMarks;
  }

  /**
   * Resolves once everything recorded so far is written, or its writes failed and were logged
   * (those marks stay queued: retried with the next marks, or at close).
   */
  async drain(): Promise<void> {
    await Promise.all([this.identifies.drain(), this.tracks.drain()]);
  }

  /**
   * At shutdown: writes what is queued, marks kept after failed writes included (one more round of
   * tries), then drops what is still not written, counted as write-failed and logged.
   */
  async close(): Promise<void> {
    await Promise.all([this.identifies.close(), this.tracks.close()]);
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
    private readonly call: MarkCall,
    private readonly write: (rows: T[]) => Promise<void>,
    private readonly logger: Logger,
    private readonly dropped: (count: number) => void,
  ) {}

  add(rows: readonly T[]): void {
    if (rows.length === 0) return;
    this.queued.push(...rows);
    this.start();
  }

  pending(): number {
    return this.queued.length + (this.active ? 1 : 0);
  }

  async drain(): Promise<void> {
    while (this.active) await this.writing;
  }

  /** Writes what is queued (marks kept after a loop gave up too), then drops and counts the rest. */
  async close(): Promise<void> {
    await this.drain();
    if (this.queued.length > 0) {
      this.start();
      await this.drain();
    }
    const rows = this.queued.splice(0);
    if (rows.length === 0) return;
    this.dropped(rows.length);
    this.logger.warn(
      'dropping handled marks not recorded after failed writes; a redelivery may send these events again (a duplicate request)',
      {
        call: this.call,
        marks: rows.length,
      },
    );
  }

  private start(): void {
    if (this.active) return;
    this.active = true;
    this.writing = this.writeAll();
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
            call: this.call,
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
