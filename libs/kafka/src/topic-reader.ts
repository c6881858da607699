import type { Consumer, Kafka } from 'kafkajs';
import type { ConsumedMessage } from './messages';

/**
 * Reads a whole topic from the beginning into memory with a throw-away group. For tests, tools
 * and debugging only: services use BatchConsumer.
 */
export class TopicReader {
  private readonly consumer: Consumer;
  private readonly messages: ConsumedMessage<Buffer | null>[] = [];
  private started = false;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    groupId: string,
  ) {
    this.consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [key, value] of Object.entries(message.headers ?? {})) if (value !== undefined) headers[key] = String(value);
        this.messages.push({
          topic: this.topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          headers,
          timestamp: message.timestamp,
          value: message.value,
        });
        return Promise.resolve();
      },
    });
    this.started = true;
  }

  /** Everything read so far. */
  received(): readonly ConsumedMessage<Buffer | null>[] {
    return this.messages;
  }

  /** Values read so far, parsed as JSON. */
  json<T = unknown>(): T[] {
    return this.messages.map((message) => JSON.parse(message.value?.toString('utf8') ?? 'null') as T);
  }

  async stop(): Promise<void> {
    if (this.started) await this.consumer.disconnect();
  }
}
