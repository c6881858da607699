import { z } from 'zod';
import { envelopeSchema, type Envelope } from '../envelope';

/**
 * segment.events.rejected.v1: an event refused at the edge (ingest or import), kept with the
 * exact reason and where it came from, so it can be fixed and re-sent. Key: the messageId when
 * one was sent, else the envelope id.
 */
export const REJECTED_EVENT_TYPE = 'segment.event.rejected';

export const rejectionOriginSchema = z.object({
  /** HTTP route or file path. */
  channel: z.string().min(1),
  /** Position in the request's batch. */
  index: z.number().int().nonnegative().optional(),
  /** 1-based line in an archive file. */
  line: z.number().int().positive().optional(),
});

export const rejectedEventDataSchema = z.object({
  reason: z.string().min(1),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
  messageId: z.string().nullable(),
  origin: rejectionOriginSchema,
  /** The payload as received (parsed JSON, or the raw text when it was not JSON). */
  payload: z.unknown(),
});
export const rejectedEventSchema = envelopeSchema(REJECTED_EVENT_TYPE, rejectedEventDataSchema);
export type RejectedEventData = z.infer<typeof rejectedEventDataSchema>;
export type RejectedEvent = Envelope<typeof REJECTED_EVENT_TYPE, RejectedEventData>;
