import { REQUEST_OVERHEAD_BYTES, type BatchLimits } from './limits';

/** A run of events [start, end) that goes in one request. */
export interface BatchRange {
  start: number;
  end: number;
  /** UTF-8 bytes of the whole request body. */
  bytes: number;
}

/**
 * Splits events, in order, into requests that respect the byte and count limits: greedy, each
 * request as full as it can be. Sizes are the events' serialised UTF-8 bytes; every event must
 * already fit the per-event limit (fitEvent), so every request holds at least one.
 */
export function packBatches(eventBytes: readonly number[], limits: BatchLimits): BatchRange[] {
  const ranges: BatchRange[] = [];
  let start = 0;
  while (start < eventBytes.length) {
    const range = nextBatch(eventBytes, start, limits);
    ranges.push(range);
    start = range.end;
  }
  return ranges;
}

/** The longest run from `start` that fits one request (at least one event). */
export function nextBatch(eventBytes: readonly number[], start: number, limits: BatchLimits): BatchRange {
  let bytes = REQUEST_OVERHEAD_BYTES + (eventBytes[start] ?? 0);
  let end = start + 1;
  while (end < eventBytes.length && end - start < limits.maxBatchEvents) {
    // One comma between events.
    const next = bytes + 1 + (eventBytes[end] as number);
    if (next > limits.maxRequestBytes) break;
    bytes = next;
    end += 1;
  }
  return { start, end, bytes };
}

/** The /v1/batch body, built from already-serialised events (its size is what packBatches counted). */
export function requestBody(eventJson: readonly string[], sentAt: Date): string {
  return `{"batch":[${eventJson.join(',')}],"sentAt":"${sentAt.toISOString()}"}`;
}

/**
 * The same body written straight into a Buffer of its exact size (the events' byte sizes are
 * known from packing): no intermediate string of half a megabyte per request.
 */
export function requestBodyBuffer(events: ReadonlyArray<{ json: string; bytes: number }>, sentAt: Date): Buffer {
  const head = '{"batch":[';
  const tail = `],"sentAt":"${sentAt.toISOString()}"}`;
  let size = head.length + tail.length + Math.max(0, events.length - 1);
  for (const event of events) size += event.bytes;
  const body = Buffer.allocUnsafe(size);
  let offset = body.write(head, 0, 'latin1');
  events.forEach((event, index) => {
    if (index > 0) offset = body.writeUInt8(0x2c, offset);
    const written = body.write(event.json, offset, 'utf8');
    if (written !== event.bytes || Buffer.byteLength(event.json) !== event.bytes) {
      throw new Error(`an event was counted as ${event.bytes} bytes but is ${Buffer.byteLength(event.json)}`);
    }
    offset += written;
  });
  body.write(tail, offset, 'latin1');
  return body;
}
