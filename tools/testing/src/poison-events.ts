import { createHash } from 'node:crypto';

/**
 * Segment events that ingest answered 200 for (before it learned to refuse them) and that Postgres
 * then refused downstream: a timestamp outside what a timestamptz (or a session window around it)
 * can hold, a NUL character in an id or a URL, an id too large for an index row. Tests produce
 * them straight onto the raw topic, among good events, to prove a consumer dead-letters each with
 * its reason (or stores it) and applies the rest.
 */
export const POISON_KINDS = [
  'timestamp in year 0',
  'timestamp in year -1',
  'timestamp in year 9999',
  'timestamp in year 10000',
  'NUL in anonymousId',
  'NUL in userId',
  'NUL in URL',
  '10 KB anonymousId',
  '10 KB userId',
] as const;

export type PoisonKind = (typeof POISON_KINDS)[number];

/**
 * 10 KB of text that does not compress (a repeated character would: Postgres compresses index
 * entries, and 10 KB of "a" fits in an index row).
 */
function tenKilobytes(seed: string): string {
  let text = '';
  for (let i = 0; text.length < 10 * 1024; i += 1) text += createHash('sha256').update(`${seed}-${i}`).digest('base64url');
  return text.slice(0, 10 * 1024);
}

interface PoisonableEvent {
  timestamp?: unknown;
  anonymousId?: unknown;
  userId?: unknown;
  context?: unknown;
  properties?: unknown;
}

/** Makes `event` (a raw event's Segment event, changed in place) the poison of its kind. */
export function poisonEvent(event: PoisonableEvent, kind: PoisonKind): void {
  const page = (event.context as { page?: { url?: unknown } } | undefined)?.page;
  switch (kind) {
    case 'timestamp in year 0':
      event.timestamp = '0000-01-01T00:00:00.000Z';
      break;
    case 'timestamp in year -1':
      event.timestamp = '-000001-06-01T00:00:00.000Z';
      break;
    case 'timestamp in year 9999':
      event.timestamp = '9999-12-31T23:59:00.000Z';
      break;
    case 'timestamp in year 10000':
      event.timestamp = '+010000-01-01T00:00:00.000Z';
      break;
    case 'NUL in anonymousId':
      event.anonymousId = `${typeof event.anonymousId === 'string' ? event.anonymousId : 'visitor'}\u0000nul`;
      break;
    case 'NUL in userId':
      event.userId = `${typeof event.userId === 'string' ? event.userId : 'user'}\u0000nul`;
      break;
    case 'NUL in URL': {
      const url = 'https://www.shop.example/\u0000nul';
      if (page) page.url = url;
      if (event.properties && typeof event.properties === 'object') (event.properties as { url?: unknown }).url = url;
      break;
    }
    case '10 KB anonymousId':
      event.anonymousId = tenKilobytes('anonymousId');
      break;
    case '10 KB userId':
      event.userId = tenKilobytes('userId');
      break;
  }
}

/**
 * The good events with a poison case's event after each of the first, for one batch: sent under
 * one key, they land on one partition and a consumer gets good and poison records together.
 */
export function mixPoisonIn<E>(good: readonly E[], poison: ReadonlyArray<{ event: E }>): E[] {
  const mixed: E[] = [];
  good.forEach((event, n) => {
    mixed.push(event);
    const bad = poison[n];
    if (bad) mixed.push(bad.event);
  });
  return mixed;
}
