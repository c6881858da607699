import { DEAD_LETTER_HEADERS } from '@touchstream/contracts';
import type { EventProducer } from './producer';

export interface DeadLetterInput {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  value: Buffer | null;
  groupId: string;
}

const MAX_REASON_LENGTH = 1_000;

/**
 * Publishes a message that cannot be processed to `<group>.dead-letter.v1`: the original key,
 * value and headers unchanged (so it can be replayed once fixed), plus the reason and origin in
 * headers. The reason is the error's message only: payload values (PII) never go in headers.
 */
export class DeadLetterPublisher {
  constructor(
    private readonly producer: EventProducer,
    private readonly topicFor: (groupId: string) => string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async publish(input: DeadLetterInput, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    await this.producer.send(this.topicFor(input.groupId), [
      {
        key: input.key,
        value: input.value ?? Buffer.alloc(0),
        headers: {
          ...input.headers,
          [DEAD_LETTER_HEADERS.reason]: reason.slice(0, MAX_REASON_LENGTH),
          [DEAD_LETTER_HEADERS.errorName]: error instanceof Error ? error.name : 'Error',
          [DEAD_LETTER_HEADERS.sourceTopic]: input.topic,
          [DEAD_LETTER_HEADERS.sourcePartition]: String(input.partition),
          [DEAD_LETTER_HEADERS.sourceOffset]: input.offset,
          [DEAD_LETTER_HEADERS.consumerGroup]: input.groupId,
          [DEAD_LETTER_HEADERS.failedAt]: this.now().toISOString(),
        },
      },
    ]);
  }
}
