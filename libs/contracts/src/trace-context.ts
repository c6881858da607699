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

/** What a traceparent header says: the trace, the span that sent it, and whether that span was sampled. */
export interface TraceparentFields {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/** A traceparent header value read, or undefined when it is not one (version 00, ids not all zero). */
export function parseTraceparent(traceparent: string | undefined): TraceparentFields | undefined {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (match === null) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** The traceparent header value of a span. */
export function formatTraceparent(fields: TraceparentFields): string {
  return `00-${fields.traceId}-${fields.spanId}-${fields.sampled ? '01' : '00'}`;
}

/** The trace id of a traceparent header value, or undefined when it is not one (version 00). */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return parseTraceparent(traceparent)?.traceId;
}
