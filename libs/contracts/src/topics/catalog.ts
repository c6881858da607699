/**
 * Every topic touchstream owns, with the settings provisioning applies at boot. Names are
 * versioned (<domain>.<event>.v<N>): an incompatible change gets a new topic, never a new meaning.
 */
export interface TopicSpec {
  name: string;
  /** Upper bound on the consumers of one group that do useful work. */
  partitions: number;
  /** -1 keeps messages forever. */
  retentionMs: number;
  cleanupPolicy: 'delete' | 'compact';
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const TOPICS = {
  /** The system of record: every accepted Segment event, replayed for backfill and rebuilds. */
  rawEvents: { name: 'segment.events.raw.v1', partitions: 6, retentionMs: -1, cleanupPolicy: 'delete' },
  /** Everything refused at the edge, with its reason: nothing that reached touchstream vanishes. */
  rejectedEvents: { name: 'segment.events.rejected.v1', partitions: 1, retentionMs: 30 * DAY_MS, cleanupPolicy: 'delete' },
  identityLinks: { name: 'identity.links.v1', partitions: 6, retentionMs: -1, cleanupPolicy: 'delete' },
  touches: { name: 'attribution.touches.v1', partitions: 6, retentionMs: -1, cleanupPolicy: 'delete' },
  userSources: { name: 'attribution.user-sources.v1', partitions: 6, retentionMs: -1, cleanupPolicy: 'delete' },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;

/** A consumer's poison messages go to `<group>.dead-letter.v1`, with the reason in headers. */
export function deadLetterTopic(consumerGroup: string): TopicSpec {
  return { name: `${consumerGroup}.dead-letter.v1`, partitions: 1, retentionMs: -1, cleanupPolicy: 'delete' };
}

/** Headers a dead letter carries (the original value and key are kept as they were). */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-dead-letter-reason',
  errorName: 'x-dead-letter-error',
  sourceTopic: 'x-dead-letter-topic',
  sourcePartition: 'x-dead-letter-partition',
  sourceOffset: 'x-dead-letter-offset',
  consumerGroup: 'x-dead-letter-group',
  failedAt: 'x-dead-letter-at',
  /**
   * An outbox event the broker refused: its row's seq and its place in the row, the key of its
   * copy in the service's outbox_dead_letters table.
   */
  outboxSeq: 'x-dead-letter-outbox-seq',
  outboxEventIndex: 'x-dead-letter-outbox-event-index',
} as const;

/** Headers every message carries so logs can be joined without parsing the value. */
export const TRACE_HEADERS = {
  eventId: 'x-event-id',
  eventType: 'x-event-type',
  correlationId: 'x-correlation-id',
  causationId: 'x-causation-id',
} as const;
