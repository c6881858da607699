/**
 * What the broker says about a batch's partition, which a stored position is checked against
 * (libs/kafka's BatchConsumer attaches it to every consumed message as `log`).
 */
export interface PartitionLog {
  /** The topic's Kafka id (a new one for every incarnation of the name), when the broker told it. */
  topicId: string | null;
  /** The partition's end offset when the batch was fetched. */
  highWatermark: string;
  /** Told, after the batch's transaction committed, that the stored position was set aside. */
  newIncarnation?: (change: IncarnationChange) => void;
}

export type IncarnationReason = 'topic-id-changed' | 'beyond-end-offset';

export interface IncarnationChange {
  consumerGroup: string;
  topic: string;
  partition: number;
  reason: IncarnationReason;
  /** The position that was set aside: the next offset it would have applied. */
  storedNextOffset: string;
  storedTopicId: string | null;
  topicId: string | null;
  highWatermark: string;
  /** The first offset of the batch, from which the partition is applied again. */
  reappliedFrom: string;
}

/**
 * Why a stored position cannot belong to the partition a batch came from, or null when it can.
 * A different topic id is a different topic (deleted and created again, or created again on a
 * broker that lost its data). Without ids (a position stored before they were recorded, or a
 * broker that does not give them), a position past the partition's end offset is one the broker
 * cannot have: the log it was stored for is gone. Skipping by it would drop every new message
 * below it without a trace.
 */
export function incarnationReason(
  stored: { nextOffset: bigint; topicId: string | null },
  log: Pick<PartitionLog, 'topicId' | 'highWatermark'>,
): IncarnationReason | null {
  if (stored.topicId !== null && log.topicId !== null && stored.topicId !== log.topicId) return 'topic-id-changed';
  if (stored.nextOffset > BigInt(log.highWatermark)) return 'beyond-end-offset';
  return null;
}
