import { rawEventSchema, type RawEvent } from '@touchstream/contracts';
import { MAX_ID_LENGTH } from '../domain';
import { DecodeError, jsonDecoder } from '@touchstream/kafka';

const decodeRawEvent = jsonDecoder(rawEventSchema);

const ID_FIELDS = ['anonymousId', 'userId', 'previousId'] as const;

/**
 * A raw event as the identity graph reads it. An id longer than MAX_ID_LENGTH is no id a Segment
 * SDK sends and cannot be indexed; the graph would have to leave it out, so the event would be
 * applied without the link or sighting it stands for. Such an event is refused here instead
 * (DecodeError: dead-lettered with this reason, which gives the length, never the id).
 */
export function decodeIdentityEvent(value: Buffer | null): RawEvent {
  const raw = decodeRawEvent(value);
  const event = raw.data.event as Partial<Record<(typeof ID_FIELDS)[number], unknown>>;
  for (const field of ID_FIELDS) {
    const id = event[field];
    if (typeof id === 'string' && id.length > MAX_ID_LENGTH) {
      throw new DecodeError(`${field} is ${id.length} characters long; the identity graph keeps ids of up to ${MAX_ID_LENGTH}`);
    }
  }
  return raw;
}
