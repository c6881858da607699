/** What services hand to the producer: no kafkajs type crosses this library's boundary. */
export interface OutgoingMessage {
  key: string | null;
  value: Buffer | string;
  headers?: Record<string, string>;
  /** Kafka record timestamp in ms since the epoch; defaults to the send time. */
  timestamp?: number;
}

export interface ConsumedMessage<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  /** Kafka record timestamp (ms since the epoch, as a string as Kafka gives it). */
  timestamp: string;
  value: T;
  /**
   * The value's bytes as they arrived, for a consumer that keeps or forwards the event as it is
   * (no second serialisation); absent on messages built in memory, as tests do.
   */
  raw?: Buffer | null;
  /** What the broker said about the message's partition when its batch was fetched (BatchConsumer sets it). */
  log?: PartitionLog;
}

/**
 * A batch's partition as the broker described it, shared by the batch's messages: what a
 * position stored in a database is checked against before it decides what to skip
 * (libs/eventing applyOncePerOffset; docs/decisions/0015-consumer-position-incarnations.md).
 */
export interface PartitionLog {
  /** The topic's Kafka id, when the broker told it; a topic created again gets a new one. */
  topicId: string | null;
  highWatermark: string;
  /** Told when a stored position turned out to belong to an earlier incarnation of the topic. */
  newIncarnation?: (change: PositionIncarnationChange) => void;
}

/** A stored position set aside because the topic or its log is not the one it was stored for. */
export interface PositionIncarnationChange {
  consumerGroup: string;
  topic: string;
  partition: number;
  reason: string;
  storedNextOffset: string;
  storedTopicId: string | null;
  topicId: string | null;
  highWatermark: string;
  reappliedFrom: string;
}

/** A consumed message's value as JSON text: the bytes that arrived, else its value serialised. */
export function valueText(message: { value: unknown; raw?: Buffer | null }): string {
  return message.raw ? message.raw.toString('utf8') : JSON.stringify(message.value);
}

/**
 * A record's framing in a v2 record batch, at most: its length, attributes, timestamp and offset
 * deltas, key and value lengths and header count (varints of up to 5 bytes, the timestamp's up to
 * 10). Each header adds its name's and value's length varints.
 */
const RECORD_FRAMING_BYTES = 36;
const HEADER_FRAMING_BYTES = 10;

/**
 * The bytes a message takes in a record batch, which the broker holds to message.max.bytes:
 * value, key and headers with their framing. Counting the value and key alone let an outbox
 * relay's send of ~1 KB facts with ~240 bytes of trace headers each pass as 900 KB when it was
 * 1.12 MB, and the broker refused the same batch on every retry.
 */
export function byteLength(message: OutgoingMessage): number {
  let bytes = RECORD_FRAMING_BYTES + (typeof message.value === 'string' ? Buffer.byteLength(message.value) : message.value.length);
  if (message.key) bytes += Buffer.byteLength(message.key);
  if (message.headers) {
    for (const name in message.headers) {
      bytes += HEADER_FRAMING_BYTES + Buffer.byteLength(name) + Buffer.byteLength(message.headers[name] as string);
    }
  }
  return bytes;
}
