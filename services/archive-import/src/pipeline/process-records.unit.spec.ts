import { describe, expect, it } from 'vitest';
import { deterministicId, rawEventSchema, rejectedEventSchema, TRACE_HEADERS } from '@touchstream/contracts';
import type { SourceRecord } from '../formats/source-record';
import { processRecords, type ProcessContext } from './process-records';
import { parseTimeWindow } from './time-window';

const now = new Date('2026-01-01T00:00:00.000Z');
const context: ProcessContext = { channel: '/data/archive.ndjson', now, window: {} };
const text = (line: number, value: unknown): SourceRecord => {
  const body = typeof value === 'string' ? value : JSON.stringify(value);
  return { kind: 'text', line, end: line * 100, endLine: line, text: body };
};
const page = {
  type: 'page',
  messageId: 'ajs-1',
  anonymousId: 'anon-1',
  timestamp: '2021-05-01T10:00:00.000Z',
  receivedAt: '2021-05-01T10:00:01.000Z',
  sentAt: '2021-05-01T10:00:00.500Z',
  properties: { url: 'https://www.example.com/?gclid=abc' },
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON under test
const value = (message: { value: Buffer | string }): any => JSON.parse(String(message.value));

describe('processRecords', () => {
  it('turns a valid record into a raw-topic message: source import, its own timestamp and messageId, keyed by anonymousId', () => {
    const result = processRecords([text(1, page)], context);
    expect(result).toMatchObject({ records: 1, filtered: 0, rejected: [], end: 100, endLine: 1 });
    const [message] = result.accepted;
    expect(message?.key).toBe('anon-1');
    const envelope = rawEventSchema.parse(value(message!));
    expect(envelope).toMatchObject({
      id: deterministicId('segment.event', 'ajs-1'),
      source: 'import',
      occurredAt: '2021-05-01T10:00:00.000Z',
      recordedAt: now.toISOString(),
      correlationId: 'ajs-1',
      data: { event: { ...page, timestamp: '2021-05-01T10:00:00.000Z', receivedAt: '2021-05-01T10:00:01.000Z' } },
    });
    expect(message?.headers?.[TRACE_HEADERS.eventId]).toBe(envelope.id);
  });

  it('gives a record without messageId the same derived id every time (a re-import is recognised)', () => {
    const { messageId: _dropped, ...withoutId } = page;
    const first = value(processRecords([text(1, withoutId)], context).accepted[0]!);
    const again = value(processRecords([text(7, withoutId)], { ...context, now: new Date() }).accepted[0]!);
    expect(first.data.event.messageId).toMatch(/^ts-/);
    expect(again.id).toBe(first.id);
  });

  it('rejects bad JSON and invalid events with file, line and reason, and keeps the payload', () => {
    const result = processRecords(
      [
        text(1, page),
        text(2, '{"type":"page",'),
        text(3, { type: 'track', messageId: 'm-3', userId: 'u' }),
        text(4, { type: 'page' }),
        text(5, '[1,2]'),
      ],
      context,
    );
    expect(result.accepted).toHaveLength(1);
    expect(result.rejections.map((rejection) => rejection.line)).toEqual([2, 3, 4, 5]);
    expect(result.rejections[0]?.reason).toMatch(/^not valid JSON/);
    expect(result.rejections[1]?.reason).toMatch(/^invalid track: event/);
    expect(result.rejections[2]?.reason).toMatch(/userId or anonymousId is required/);
    const envelopes = result.rejected.map((message) => rejectedEventSchema.parse(value(message)));
    expect(envelopes[0]?.data).toMatchObject({
      origin: { channel: '/data/archive.ndjson', line: 2 },
      payload: '{"type":"page",',
      messageId: null,
    });
    expect(envelopes[1]?.data).toMatchObject({ messageId: 'm-3', payload: { type: 'track', messageId: 'm-3', userId: 'u' } });
    expect(envelopes[1]?.data.issues.length).toBeGreaterThan(0);
    expect(result.rejected[1]?.key).toBe('m-3');
    expect(result.rejected[0]?.key).toBe(envelopes[0]?.id);
    // Deterministic: the same bad line rejected twice is one fact.
    expect(processRecords([text(2, '{"type":"page",')], context).rejected[0]?.headers).toEqual(result.rejected[0]?.headers);
  });

  it('rejects broken records (oversized lines, bad CSV rows) with their excerpt', () => {
    const broken: SourceRecord = {
      kind: 'broken',
      line: 9,
      end: 900,
      endLine: 9,
      reason: 'line is 2000000 bytes, over the 1048576-byte limit',
      excerpt: '{"x":"yyy',
    };
    const result = processRecords([broken], context);
    expect(result.rejections).toEqual([{ line: 9, reason: broken.reason }]);
    expect(rejectedEventSchema.parse(value(result.rejected[0]!)).data.payload).toBe('{"x":"yyy');
  });

  it('counts events outside --since/--until as filtered, not rejected', () => {
    const result = processRecords([text(1, page), text(2, { ...page, messageId: 'ajs-2', timestamp: '2022-01-01T00:00:00Z' })], {
      ...context,
      window: parseTimeWindow('2022-01-01', undefined),
    });
    expect(result.filtered).toBe(1);
    expect(result.accepted.map((message) => String(value(message).data.event.messageId))).toEqual(['ajs-2']);
  });

  it('maps CSV rows with the header in the context, and rejects a row as the columns it had', () => {
    const columns = ['id', 'anonymous_id', 'url', 'timestamp'];
    const rows: SourceRecord[] = [
      { kind: 'row', line: 2, end: 50, endLine: 2, values: ['m-1', 'anon-9', 'https://x.example/', '2024-01-01 00:00:00 UTC'] },
      { kind: 'row', line: 3, end: 90, endLine: 3, values: ['m-2', '', 'https://x.example/', 'not a time'] },
    ];
    const result = processRecords(rows, { ...context, csv: { table: 'pages', columns } });
    expect(value(result.accepted[0]!).data.event).toMatchObject({
      type: 'page',
      messageId: 'm-1',
      anonymousId: 'anon-9',
      timestamp: '2024-01-01T00:00:00.000Z',
    });
    expect(rejectedEventSchema.parse(value(result.rejected[0]!)).data.payload).toEqual({
      id: 'm-2',
      anonymous_id: '',
      url: 'https://x.example/',
      timestamp: 'not a time',
    });
  });
  it('applies the limits of what the pipeline can store, as ingest does (NUL, id length, timestamp range, nesting)', () => {
    const deep = `{"type":"page","anonymousId":"a","properties":${'{"p":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    const result = processRecords(
      [
        text(1, { ...page, anonymousId: 'anon\u0000' }),
        text(2, { ...page, userId: 'u'.repeat(10_240) }),
        text(3, { ...page, timestamp: '+010000-01-01T00:00:00.000Z' }),
        text(4, deep),
        text(5, page),
      ],
      context,
    );
    expect(result.accepted).toHaveLength(1);
    expect(result.rejections.map((rejection) => [rejection.line, rejection.reason])).toEqual([
      [1, 'invalid page: anonymousId: must not contain the NUL character (U+0000)'],
      [2, 'invalid page: userId: is 10240 characters, over the limit of 255'],
      [3, 'invalid page: timestamp: must be a timestamp between 1970-01-01T00:00:00.000Z and 2999-12-31T23:59:59.999Z'],
      [4, expect.stringContaining('nested deeper than 64 levels')],
    ]);
    // Too deep to serialise again: the record is kept as its text (cut at 32 KB).
    expect(rejectedEventSchema.parse(value(result.rejected[3]!)).data.payload).toBe(deep.slice(0, 32 * 1024));
  });
});
