import { TOPICS } from '@touchstream/contracts';
import { byteLength, type KafkaRuntime, type OutgoingMessage } from '@touchstream/kafka';

/** Where processed records go: Kafka, or nowhere for --dry-run. */
export interface RecordSink {
  readonly rawTopic: string | null;
  readonly rejectedTopic: string | null;
  /** Resolves once every message is acknowledged (acks=all); rejects if any is not. */
  send(accepted: readonly OutgoingMessage[], rejected: readonly OutgoingMessage[]): Promise<void>;
}

/**
 * Keeps each send under the broker's per-partition batch limit (message.max.bytes, about 1 MB):
 * a producer request never mixes a caller's messages with another's past that bound, so a big
 * batch is cut into several sends the producer still coalesces into few requests.
 */
export const MAX_SEND_BYTES = 800_000;

export function splitByBytes(messages: readonly OutgoingMessage[], maxBytes = MAX_SEND_BYTES): OutgoingMessage[][] {
  const parts: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = byteLength(message);
    if (current.length > 0 && bytes + size > maxBytes) {
      parts.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

export class KafkaSink implements RecordSink {
  readonly rawTopic: string;
  readonly rejectedTopic: string;

  constructor(private readonly runtime: KafkaRuntime) {
    this.rawTopic = runtime.topic(TOPICS.rawEvents);
    this.rejectedTopic = runtime.topic(TOPICS.rejectedEvents);
  }

  async send(accepted: readonly OutgoingMessage[], rejected: readonly OutgoingMessage[]): Promise<void> {
    const sends = [
      ...splitByBytes(accepted).map((part) => this.runtime.producer.send(this.rawTopic, part)),
      ...splitByBytes(rejected).map((part) => this.runtime.producer.send(this.rejectedTopic, part)),
    ];
    // allSettled: wait for every send, so no request is still in flight when a failure is reported.
    const results = await Promise.allSettled(sends);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

export class DryRunSink implements RecordSink {
  readonly rawTopic = null;
  readonly rejectedTopic = null;

  send(): Promise<void> {
    return Promise.resolve();
  }
}
