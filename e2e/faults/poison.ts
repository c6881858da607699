import { randomBytes } from 'node:crypto';
import { rawEventKey, toRawEvent, type SegmentEvent, envelopeMessage } from '@touchstream/contracts';
import { type OutgoingMessage } from '@touchstream/kafka';

/**
 * Events whose data can never be processed, whatever the retries: timestamps in year 0, 9999 and
 * 10000, NUL characters in ids and properties, 10 KB ids. Ingest must refuse them with a 4xx or a
 * rejection; the consumers must dead-letter any that reach the raw topic by another way (an
 * importer bug, a copy from another cluster) and carry on.
 */
export interface Poison {
  label: string;
  event: Record<string, unknown>;
}

const TEN_KB = 10 * 1024;

export function poisonEvents(runId: string): Poison[] {
  const id = (label: string) => `poison-${runId}-${label}-${randomBytes(3).toString('hex')}`;
  const page = (label: string, fields: Record<string, unknown>): Poison => ({
    label,
    event: {
      type: 'page',
      messageId: id(label),
      anonymousId: id(`${label}-visitor`),
      timestamp: new Date().toISOString(),
      properties: { url: 'https://www.acme-analytics.example/pricing?utm_source=poison&utm_medium=email' },
      ...fields,
    },
  });
  return [
    page('year 0', { timestamp: '0000-01-01T00:00:00.000Z' }),
    page('year 9999', { timestamp: '9999-12-31T23:59:59.999Z' }),
    page('year 10000', { timestamp: '+010000-01-01T00:00:00.000Z' }),
    page('NUL in anonymousId', { anonymousId: `${id('nul')}\u0000visitor` }),
    page('NUL in the url', { properties: { url: 'https://www.acme-analytics.example/pricing?utm_source=po\u0000ison' } }),
    page('10 KB messageId', { messageId: `${id('long')}-${'m'.repeat(TEN_KB)}` }),
    page('10 KB anonymousId', { anonymousId: `${id('long')}-${'a'.repeat(TEN_KB)}` }),
  ];
}

/**
 * The raw-topic message ingest would have written for the event had it let it through: the
 * envelope of an accepted event, its timestamp (and so the envelope's occurredAt) left as sent.
 */
export function rawPoisonMessage(poison: Poison): OutgoingMessage {
  const receivedAt = new Date();
  const timestamp = String(poison.event.timestamp);
  const raw = toRawEvent({ ...poison.event, timestamp: receivedAt.toISOString() } as SegmentEvent, { source: 'api', receivedAt });
  const envelope = { ...raw, occurredAt: timestamp, data: { event: { ...raw.data.event, timestamp } } };
  return envelopeMessage(envelope, rawEventKey(envelope.data.event));
}
