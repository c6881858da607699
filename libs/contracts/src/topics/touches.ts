import { z } from 'zod';
import { envelopeSchema, isoTimestampSchema, type Envelope } from '../envelope';
import { touchSourceSchema } from '../touch-source';

/**
 * attribution.touches.v1: a page view that opened a session or brought a new campaign/click id.
 * touchId = deterministicId('attribution.touch', messageId) so a replay yields the same id.
 * Key: anonymousId.
 */
export const TOUCH_TYPE = 'attribution.touch.recorded';

export const touchDataSchema = z.object({
  touchId: z.string().min(1),
  anonymousId: z.string().min(1).nullable(),
  /** The user the touch belongs to at the time it was recorded, when known. */
  userId: z.string().min(1).nullable(),
  sessionId: z.string().min(1),
  messageId: z.string().min(1),
  occurredAt: isoTimestampSchema,
  url: z.string().nullable(),
  referrer: z.string().nullable(),
  source: touchSourceSchema,
});
export const touchSchema = envelopeSchema(TOUCH_TYPE, touchDataSchema);
export type TouchData = z.infer<typeof touchDataSchema>;
export type Touch = Envelope<typeof TOUCH_TYPE, TouchData>;
