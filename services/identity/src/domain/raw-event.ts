import { toRawEvent, validateSegmentEvent, type EventSource, type RawEvent, type SegmentEventInput } from '@touchstream/contracts';

/**
 * A raw-topic event built from a Segment event the way ingest and the importer build one
 * (validated, normalised), received at the event's own time unless told otherwise. For tests,
 * benchmarks and tools; throws on an event ingest would refuse.
 */
export function acceptedRawEvent(
  input: SegmentEventInput & { timestamp: string },
  options: { source?: EventSource; receivedAt?: Date } = {},
): RawEvent {
  const validation = validateSegmentEvent(input);
  if (!validation.ok) throw new Error(`event is invalid: ${validation.reason}`);
  return toRawEvent(validation.event, { source: options.source ?? 'import', receivedAt: options.receivedAt ?? new Date(input.timestamp) });
}
