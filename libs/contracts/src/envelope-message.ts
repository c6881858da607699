import type { EnvelopeMeta } from './envelope';
import { TRACE_HEADERS } from './topics/catalog';
import { TRACEPARENT_HEADER, traceparentOf } from './trace-context';

/** An envelope ready for the producer (libs/kafka OutgoingMessage accepts it as it is). */
export interface EnvelopeMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** An envelope as a Kafka message: JSON value, trace ids also in headers for log joins. */
export function envelopeMessage(envelope: EnvelopeMeta & { data: unknown }, key: string | null): EnvelopeMessage {
  const headers: Record<string, string> = {
    [TRACE_HEADERS.eventId]: envelope.id,
    [TRACE_HEADERS.eventType]: envelope.type,
    [TRACE_HEADERS.correlationId]: envelope.correlationId,
    [TRACEPARENT_HEADER]: traceparentOf(envelope.correlationId, envelope.id),
  };
  if (envelope.causationId) headers[TRACE_HEADERS.causationId] = envelope.causationId;
  return { key, value: JSON.stringify(envelope), headers };
}
