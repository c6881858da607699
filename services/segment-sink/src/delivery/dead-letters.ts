import { DEAD_LETTER_HEADERS, deadLetterTopic } from '@touchstream/contracts';
import type { KafkaRuntime } from '@touchstream/kafka';
import type { DeliveryItem } from '../domain/delivery-item';

/** Which Segment call a dead letter was, and its messageId (to find it in Segment's debugger). */
export const SINK_DEAD_LETTER_HEADERS = {
  call: 'x-segment-call',
  messageId: 'x-segment-message-id',
} as const;

const MAX_REASON_LENGTH = 1_000;

/**
 * Writes an event Segment refused (or that cannot be sent) to `<group>.dead-letter.v1`, in the
 * consumer's own dead-letter format: the original message (key, value, headers) unchanged, so it
 * can be replayed into its topic once the cause is fixed, plus the reason and origin in headers.
 * The reason never holds payload values (Segment's answer names no trait values).
 */
export class DeadLetterWriter {
  private readonly topic: string;

  constructor(
    private readonly runtime: KafkaRuntime,
    private readonly groupId: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.topic = runtime.topic(deadLetterTopic(groupId));
  }

  async write(item: DeliveryItem, reason: string): Promise<void> {
    const { origin } = item;
    await this.runtime.producer.send(this.topic, [
      {
        key: origin.key,
        value: origin.value(),
        headers: {
          ...origin.headers,
          [DEAD_LETTER_HEADERS.reason]: reason.slice(0, MAX_REASON_LENGTH),
          [DEAD_LETTER_HEADERS.errorName]: 'SegmentRejection',
          [DEAD_LETTER_HEADERS.sourceTopic]: origin.topic,
          [DEAD_LETTER_HEADERS.sourcePartition]: String(origin.partition),
          [DEAD_LETTER_HEADERS.sourceOffset]: origin.offset,
          [DEAD_LETTER_HEADERS.consumerGroup]: this.groupId,
          [DEAD_LETTER_HEADERS.failedAt]: this.now().toISOString(),
          [SINK_DEAD_LETTER_HEADERS.call]: item.call,
          [SINK_DEAD_LETTER_HEADERS.messageId]: item.messageId,
        },
      },
    ]);
  }
}
