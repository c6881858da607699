/** A partition whose consumer has had messages to apply and applied none of them for too long. */
export interface StuckPartition {
  groupId: string;
  topic: string;
  partition: number;
  /** The first offset not applied yet (where the consumer keeps trying). */
  offset: string;
  /** The partition's end offset when its pending batch was fetched. */
  highWatermark: string;
  /** When the partition's position last moved, or its pending batch arrived (ISO-8601). */
  since: string;
  /** Failed attempts at its pending messages since then. */
  failures: number;
  /** The class of the latest failure (its name; never its message, which may quote values). */
  lastError: string | null;
}

interface Pending {
  topic: string;
  partition: number;
  offset: string;
  highWatermark: string;
  sinceMs: number;
  failures: number;
  lastError: string | null;
}

/**
 * Tracks, per partition, messages a consumer holds and has not applied: from the moment a batch
 * arrives until its last message is applied or dead-lettered. A partition with pending messages
 * (it has lag: its end offset is past its position) whose position has not moved for
 * `stuckAfterMs` is stuck, whether its handler keeps failing and retrying or hangs. An idle
 * partition has nothing pending, and a batch split up to isolate a poison message moves the
 * position with each part applied, so neither counts.
 */
export class PartitionProgress {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly groupId: string,
    private readonly stuckAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A batch arrived; a partition already pending (a redelivery) keeps its time. */
  batchStarted(topic: string, partition: number, firstOffset: string, highWatermark: string): void {
    const key = keyOf(topic, partition);
    const known = this.pending.get(key);
    if (known) {
      known.offset = firstOffset;
      known.highWatermark = highWatermark;
      return;
    }
    this.pending.set(key, { topic, partition, offset: firstOffset, highWatermark, sinceMs: this.now(), failures: 0, lastError: null });
  }

  failed(topic: string, partition: number, error: unknown): void {
    const known = this.pending.get(keyOf(topic, partition));
    if (!known) return;
    known.failures += 1;
    known.lastError = error instanceof Error ? error.name : typeof error;
  }

  /** Messages up to `nextOffset` (exclusive) were applied or dead-lettered; the clock restarts. */
  advanced(topic: string, partition: number, nextOffset: string): void {
    const known = this.pending.get(keyOf(topic, partition));
    if (!known) return;
    known.offset = nextOffset;
    known.sinceMs = this.now();
    known.failures = 0;
    known.lastError = null;
  }

  /** The whole batch was applied: nothing is pending on the partition any more. */
  batchDone(topic: string, partition: number): void {
    this.pending.delete(keyOf(topic, partition));
  }

  /** After a rebalance: partitions this member no longer holds are someone else's to report. */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    for (const [key, pending] of this.pending) {
      if (!(assignment[pending.topic] ?? []).includes(pending.partition)) this.pending.delete(key);
    }
  }

  clear(): void {
    this.pending.clear();
  }

  stuck(): StuckPartition[] {
    const now = this.now();
    return [...this.pending.values()]
      .filter((pending) => now - pending.sinceMs >= this.stuckAfterMs)
      .map((pending) => ({
        groupId: this.groupId,
        topic: pending.topic,
        partition: pending.partition,
        offset: pending.offset,
        highWatermark: pending.highWatermark,
        since: new Date(pending.sinceMs).toISOString(),
        failures: pending.failures,
        lastError: pending.lastError,
      }));
  }
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
