import { hash } from 'node:crypto';

/** The W3C Trace Context header (https://www.w3.org/TR/trace-context/), on every Kafka message and on the Segment call. */
export const TRACEPARENT_HEADER = 'traceparent';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function hexOf(text: string, length: number): string {
  return hash('sha256', text, 'hex').slice(0, length);
}

/**
 * The trace context of an event, derived rather than stored: the trace id from its correlation id
 * (the Segment messageId, which every event derived from it keeps: raw event, link, touch, fact),
 * the span id from its own deterministic id. Every service computes the same value from the
 * envelope it already has, a re-publish carries the same one, and the ingest request, the Kafka
 * hops and the Segment call that a visit causes share one trace id. Flags: sampled.
 */
export function traceparentOf(correlationId: string, eventId: string): string {
  return `00-${hexOf(`trace:${correlationId}`, 32)}-${hexOf(`span:${eventId}`, 16)}-01`;
}

/** The trace id of a traceparent header value, or undefined when it is not one (version 00). */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (match === null || /^0+$/.test(match[1] as string) || /^0+$/.test(match[2] as string)) return undefined;
  return match[1];
}
