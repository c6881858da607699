import { TOPICS, touchSchema, userSourcesSchema, type Touch, type UserSources } from '@touchstream/contracts';
import { jsonDecoder, type ConsumedMessage, type KafkaRuntime } from '@touchstream/kafka';
import type { BatchSubscription } from '@touchstream/platform';
import { decideIdentify } from '@touchstream/segment-delivery';
import type { SinkSettings } from '../config';
import type { BackfillFlusher } from './backfill-flusher';
import type { StreamHandler } from './stream-handler';

export type SinkMessage = { kind: 'facts'; envelope: UserSources } | { kind: 'touch'; envelope: Touch };

/** The sink consumer group's `@ConsumeBatches` pattern (sink.events.ts). */
export const SINK_EVENTS = 'segment-sink.facts-and-touches';

/** The topics of the sink's group, facts first. */
export function sinkTopics(runtime: KafkaRuntime): [facts: string, touches: string] {
  return [runtime.topic(TOPICS.userSources), runtime.topic(TOPICS.touches)];
}

/**
 * The consumer group over attribution.user-sources.v1 and attribution.touches.v1. Its handler
 * resolves only after Segment answered 2xx for the batch's calls (or they were dead-lettered), and
 * libs/kafka commits a partition's offset only after that: a crash means a re-send with the same
 * messageIds, never a loss. Delivery problems are retriable errors: the batch is retried, never
 * dead-lettered because Segment is down.
 */
export function sinkSubscription(
  runtime: KafkaRuntime,
  settings: SinkSettings,
  flusher: BackfillFlusher | null,
): BatchSubscription<SinkMessage> {
  const [factsTopic, touchesTopic] = sinkTopics(runtime);
  const decodeTouch = jsonDecoder(touchSchema);
  const decodeFacts = jsonDecoder(userSourcesSchema);
  return {
    pattern: SINK_EVENTS,
    groupId: settings.consumerGroup,
    topics: [factsTopic, touchesTopic],
    decode: (value, topic) =>
      topic === touchesTopic ? { kind: 'touch', envelope: decodeTouch(value) } : { kind: 'facts', envelope: decodeFacts(value) },
    fromBeginning: true,
    // Every partition of both topics at once: their calls share requests to Segment.
    partitionsConsumedConcurrently:
      2 * Math.max(TOPICS.touches.partitions, TOPICS.userSources.partitions, runtime.settings.partitions ?? 0),
    // Segment being down is never a reason to give up a batch: it waits (redelivery is the same).
    maxRetriableAttempts: Number.MAX_SAFE_INTEGER,
    backoff: { initialMs: 500, maxMs: settings.consumerBackoffMaxMs, factor: 2 },
    // Heartbeats come only between batches and attempts: the settings keep both inside this.
    sessionTimeoutMs: settings.consumerSessionTimeoutMs,
    onBatchCommitted: (info) => flusher?.batchCommitted(info),
  };
}

/** Splits a batch into facts and touches and hands both to the stream handler at once. */
export async function deliverSinkBatch(handler: StreamHandler, messages: readonly ConsumedMessage<SinkMessage>[]): Promise<void> {
  const facts: ConsumedMessage<UserSources>[] = [];
  const touches: ConsumedMessage<Touch>[] = [];
  for (const message of messages) {
    if (message.value.kind === 'facts') facts.push({ ...message, value: message.value.envelope });
    else touches.push({ ...message, value: message.value.envelope });
  }
  await Promise.all([
    facts.length > 0 ? handler.handleFacts(facts, decideIdentify) : undefined,
    touches.length > 0 ? handler.handleTouches(touches) : undefined,
  ]);
}
