import { describe, expect, it } from 'vitest';
import { decodeOutboxRow, encodeOutboxRow, type OutboxRow } from './outbox-batch';

describe('one outbox row holding a transaction’s events', () => {
  it('gives back every event, in order, each payload as the text JSON.stringify made of it', () => {
    const rows: OutboxRow[] = [
      { eventId: 'e1', topic: 't.a', key: 'k1', payload: { text: 'line one\nline two\r\n', zebra: 1, apple: [2] }, headers: { h: 'v' } },
      { eventId: 'e2', topic: 't.b', key: null, payload: { text: 'caf\u00e9 \u2028 \u2029 \ud83d\ude80 "quoted" \\ back' } },
      { eventId: 'e3', topic: 't.a', key: 'k3', payload: 'a plain string' },
    ];
    const encoded = encodeOutboxRow(rows);
    expect(encoded.eventCount).toBe(3);
    expect(decodeOutboxRow(encoded)).toEqual(
      rows.map((row) => ({
        eventId: row.eventId,
        topic: row.topic,
        key: row.key,
        headers: row.headers ?? {},
        payload: JSON.stringify(row.payload),
      })),
    );
  });

  it('keeps a one-event row whole, line breaks included (rows from before the batched layout)', () => {
    const legacy = { eventCount: 1, events: JSON.stringify([['old', 't', null, {}]]), payloads: '{\n  "pretty": true\n}' };
    expect(decodeOutboxRow(legacy)).toEqual([{ eventId: 'old', topic: 't', key: null, headers: {}, payload: '{\n  "pretty": true\n}' }]);
  });

  it('refuses a row whose events and payloads do not match its count', () => {
    const encoded = encodeOutboxRow([
      { eventId: 'a', topic: 't', key: null, payload: 1 },
      { eventId: 'b', topic: 't', key: null, payload: 2 },
    ]);
    expect(() => decodeOutboxRow({ ...encoded, payloads: '1' })).toThrow('says it holds 2 events but lists 2 and 1 payloads');
    expect(() => decodeOutboxRow({ ...encoded, eventCount: 3 })).toThrow('says it holds 3 events');
  });

  it('refuses an event without a JSON payload, naming it', () => {
    expect(() => encodeOutboxRow([{ eventId: 'no-payload', topic: 't', key: null, payload: undefined }])).toThrow(
      'outbox event no-payload has no JSON payload',
    );
  });
});
