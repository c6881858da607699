/** An event to publish, as a service hands it to appendToOutbox. */
export interface OutboxRow {
  /** Deterministic: consumers recognise a re-published event by it. */
  eventId: string;
  /** The full topic name, prefix included. */
  topic: string;
  key: string | null;
  payload: unknown;
  headers?: Record<string, string>;
}

/** One event of an outbox row, as the relay publishes it: the payload is the text it was given. */
export interface OutboxEvent {
  eventId: string;
  topic: string;
  key: string | null;
  payload: string;
  headers: Record<string, string>;
}

/**
 * How one outbox row holds a transaction's events: `events` is a JSON array of
 * [eventId, topic, key, headers], one per event; `payloads` is the events' JSON payloads, one per
 * line (JSON.stringify never writes a raw line break, so the line breaks are the separators and
 * the relay publishes each line as it is, unparsed).
 */
export interface EncodedOutboxRow {
  eventCount: number;
  events: string;
  payloads: string;
}

type ManifestEntry = [eventId: string, topic: string, key: string | null, headers: Record<string, string>];

export function encodeOutboxRow(rows: readonly OutboxRow[]): EncodedOutboxRow {
  const manifest: ManifestEntry[] = [];
  const payloads: string[] = [];
  for (const row of rows) {
    const payload = JSON.stringify(row.payload) as string | undefined;
    if (payload === undefined) throw new Error(`outbox event ${row.eventId} has no JSON payload`);
    manifest.push([row.eventId, row.topic, row.key, row.headers ?? {}]);
    payloads.push(payload);
  }
  return { eventCount: rows.length, events: JSON.stringify(manifest), payloads: payloads.join('\n') };
}

/**
 * The events of one stored row, in the order they were appended. A row of one event (rows kept
 * from before the batched layout among them) is its whole payload, not split.
 */
export function decodeOutboxRow(row: EncodedOutboxRow): OutboxEvent[] {
  const manifest = JSON.parse(row.events) as ManifestEntry[];
  const payloads = row.eventCount === 1 ? [row.payloads] : row.payloads.split('\n');
  if (manifest.length !== row.eventCount || payloads.length !== row.eventCount) {
    throw new Error(`an outbox row says it holds ${row.eventCount} events but lists ${manifest.length} and ${payloads.length} payloads`);
  }
  return manifest.map(([eventId, topic, key, headers], index) => ({ eventId, topic, key, headers, payload: payloads[index] as string }));
}

/** A stored outbox row as the relay reads it. */
export interface StoredOutboxRow {
  seq: string;
  event_count: number;
  events: string;
  payloads: string;
  created_at: Date;
  sent: boolean;
}

export function rowFields(row: Pick<StoredOutboxRow, 'event_count' | 'events' | 'payloads'>): EncodedOutboxRow {
  return { eventCount: row.event_count, events: row.events, payloads: row.payloads };
}
