import type { KafkaConfig } from 'kafkajs';
import { withKafkajsConnection } from './kafkajs-connection';

/**
 * Kafka topic ids (KIP-516): every incarnation of a topic gets its own id, so a topic deleted and
 * created again under the same name, or created again on a broker that lost its data, is told
 * apart from the one before. kafkajs 2.2.4 speaks Metadata only up to v6, which has no ids; this
 * file sends one Metadata v12 request (brokers 3.1 and later) over a kafkajs connection of its own
 * (kafkajs-connection.ts), so TLS and SASL are those of the kafkajs clients. Only what the request
 * needs is encoded and only what the answer is read for is decoded
 * (docs/decisions/0015-consumer-position-incarnations.md).
 */

const METADATA_API_KEY = 3;
const METADATA_VERSION = 12;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const ZERO_UUID = Buffer.alloc(16);

export interface TopicIdOptions {
  clientId: string;
  /** For connecting, for the login and for the answer, per broker tried. */
  timeoutMs: number;
  /** TLS and SASL as the kafkajs clients use them (client.ts securityOptions). */
  security: Pick<KafkaConfig, 'ssl' | 'sasl'>;
}

/**
 * The topic ids of `topics` (base64url, as Kafka's tools print them), asking the brokers in turn
 * until one answers. A topic the broker does not know is left out. Throws when no broker answered;
 * the error's cause is the last broker's (a refused login or certificate stays recognisable).
 */
export async function describeTopicIds(
  brokers: readonly string[],
  topics: readonly string[],
  options: TopicIdOptions,
): Promise<Map<string, string>> {
  let lastError: unknown = new Error('no broker to ask');
  for (const broker of brokers) {
    const separator = broker.lastIndexOf(':');
    const host = broker.slice(0, separator);
    const port = Number(broker.slice(separator + 1));
    try {
      return await withKafkajsConnection(
        { host, port, clientId: options.clientId, timeoutMs: options.timeoutMs, security: options.security },
        async (versions, send) => {
          // Known from the ApiVersions answer, not guessed from a closed connection: a connection
          // closed during TLS or the SASL login fails in connect, with kafkajs's own error.
          const newest = versions(METADATA_API_KEY)?.maxVersion ?? -1;
          if (newest < METADATA_VERSION) {
            throw new Error(`${broker} speaks Metadata up to v${newest}, topic ids need v12 (Kafka 3.1 or later)`);
          }
          return send({
            apiKey: METADATA_API_KEY,
            apiVersion: METADATA_VERSION,
            apiName: 'Metadata',
            body: metadataRequestBody(topics),
            decode: decodeTopicIds,
          });
        },
      );
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`could not read topic ids from ${brokers.join(',')}: ${(lastError as Error).message}`, { cause: lastError });
}

/**
 * Metadata v12 after the classic request header kafkajs writes (api key, version, correlation id,
 * client id): the empty tagged fields that make it request header v2, then the request itself.
 */
export function metadataRequestBody(topics: readonly string[]): Buffer {
  const writer = new Writer();
  writer.tags(); // request header v2: tagged fields after the client id
  writer.uvarint(topics.length + 1);
  for (const topic of topics) {
    writer.bytes(ZERO_UUID).compactString(topic).tags();
  }
  writer.int8(0); // allow_auto_topic_creation: false
  writer.int8(0); // include_topic_authorized_operations: false
  writer.tags();
  return writer.buffer();
}

/** topic name -> id from a Metadata v12 response, from after its correlation id (kafkajs reads that). */
export function decodeTopicIds(response: Buffer): Map<string, string> {
  const reader = new Reader(response);
  reader.tags(); // response header v1: tagged fields after the correlation id
  reader.int32(); // throttle_time_ms
  reader.array(() => {
    reader.int32(); // node_id
    reader.compactString(); // host
    reader.int32(); // port
    reader.compactString(); // rack
    reader.tags();
  });
  reader.compactString(); // cluster_id
  reader.int32(); // controller_id
  const ids = new Map<string, string>();
  reader.array(() => {
    const errorCode = reader.int16();
    const name = reader.compactString();
    const id = reader.bytes(16);
    reader.int8(); // is_internal
    reader.array(() => {
      reader.int16(); // error_code
      reader.int32(); // partition_index
      reader.int32(); // leader_id
      reader.int32(); // leader_epoch
      for (let list = 0; list < 3; list += 1) reader.array(() => reader.int32()); // replicas, isr, offline
      reader.tags();
    });
    reader.int32(); // topic_authorized_operations
    reader.tags();
    if (name === null || errorCode === UNKNOWN_TOPIC_OR_PARTITION || id.equals(ZERO_UUID)) return;
    if (errorCode !== 0) throw new Error(`the broker answered error code ${errorCode} for topic ${name}`);
    ids.set(name, id.toString('base64url'));
  });
  return ids;
}

class Writer {
  private readonly parts: Buffer[] = [];

  int8(value: number): this {
    return this.bytes(Buffer.from([value]));
  }
  uvarint(value: number): this {
    const out: number[] = [];
    let rest = value;
    while (rest >= 0x80) {
      out.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    out.push(rest);
    return this.bytes(Buffer.from(out));
  }
  compactString(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    return this.uvarint(bytes.length + 1).bytes(bytes);
  }
  /** An empty tagged-fields section. */
  tags(): this {
    return this.uvarint(0);
  }
  bytes(value: Buffer): this {
    this.parts.push(value);
    return this;
  }
  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  int8(): number {
    this.need(1);
    return this.data.readInt8(this.offset++);
  }
  int16(): number {
    this.need(2);
    const value = this.data.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  int32(): number {
    this.need(4);
    const value = this.data.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  uvarint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.int8() & 0xff;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
      if (shift > 28) throw new Error('malformed varint in the Metadata answer');
    }
  }
  bytes(length: number): Buffer {
    this.need(length);
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  /** A compact (nullable) string: length + 1 as a varint, 0 for null. */
  compactString(): string | null {
    const length = this.uvarint() - 1;
    return length < 0 ? null : this.bytes(length).toString('utf8');
  }
  /** A compact array: count + 1 as a varint, 0 for null; `each` reads one element. */
  array(each: () => void): void {
    const count = this.uvarint() - 1;
    for (let index = 0; index < count; index += 1) each();
  }
  /** Skips a tagged-fields section. */
  tags(): void {
    const count = this.uvarint();
    for (let index = 0; index < count; index += 1) {
      this.uvarint();
      this.bytes(this.uvarint());
    }
  }
  private need(length: number): void {
    if (this.offset + length > this.data.length) throw new Error('the Metadata answer ended early');
  }
}
