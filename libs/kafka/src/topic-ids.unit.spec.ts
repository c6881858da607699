import { describe, expect, it } from 'vitest';
import { decodeTopicIds, metadataRequestBody } from './topic-ids';

const int16 = (value: number) => Buffer.from([(value >> 8) & 0xff, value & 0xff]);
const int32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
};
const compact = (text: string | null) =>
  text === null ? Buffer.from([0]) : Buffer.concat([Buffer.from([Buffer.byteLength(text) + 1]), Buffer.from(text)]);
const noTags = Buffer.from([0]);

/** A Metadata v12 answer as a 3.x broker sends it, from after the correlation id: one broker, the given topics with one partition each. */
function answer(topics: Array<{ name: string; id: Buffer; errorCode?: number }>): Buffer {
  const partition = Buffer.concat([
    int16(0),
    int32(0),
    int32(1),
    int32(0),
    Buffer.from([2]),
    int32(1),
    Buffer.from([2]),
    int32(1),
    Buffer.from([1]),
    noTags,
  ]);
  return Buffer.concat([
    noTags, // response header v1 (kafkajs has read the correlation id before it)
    int32(0), // throttle
    Buffer.from([2]), // one broker
    int32(1),
    compact('127.0.0.1'),
    int32(19092),
    compact(null),
    noTags,
    compact('cluster-id'),
    int32(1),
    Buffer.from([topics.length + 1]),
    ...topics.map(({ name, id, errorCode }) =>
      Buffer.concat([int16(errorCode ?? 0), compact(name), id, Buffer.from([0]), Buffer.from([2]), partition, int32(-2147483648), noTags]),
    ),
    noTags,
  ]);
}

describe('topic ids over Metadata v12', () => {
  it('asks for the named topics with request header v2, no auto-creation', () => {
    // kafkajs writes the classic header (api key, version, correlation id, client id) before it.
    expect(metadataRequestBody(['raw']).toString('hex')).toBe(
      ['00', '02', '00'.repeat(16), '04', Buffer.from('raw').toString('hex'), '00', '00', '00', '00'].join(''),
    );
  });

  it('reads each known topic id (base64url, as Kafka prints it) and leaves out unknown topics', () => {
    const id = Buffer.from('6cfa2a1e695246f0823426bc78947659', 'hex');
    const ids = decodeTopicIds(
      answer([
        { name: 'raw', id },
        { name: 'missing', id: Buffer.alloc(16), errorCode: 3 },
      ]),
    );
    expect([...ids]).toEqual([['raw', id.toString('base64url')]]);
  });

  it('refuses an answer that ends early', () => {
    const whole = answer([{ name: 'raw', id: Buffer.alloc(16, 1) }]);
    expect(() => decodeTopicIds(whole.subarray(0, whole.length - 8))).toThrow(/ended early/);
  });
});
