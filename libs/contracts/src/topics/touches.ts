import { z } from 'zod';
import { envelopeSchema, isoTimestampSchema, type Envelope } from '../envelope';
import { deterministicId } from '../ids';
import { touchSourceSchema } from '../touch-source';

/**
 * attribution.touches.v1: a page view that opened a session or brought a new campaign/click id.
 * touchId = touchIdOf(messageId) = deterministicId('attribution.touch', messageId), so a replay
 * yields the same id. Key: anonymousId (userId for a userId-only touch).
 *
 * A touch is re-published as a new revision when what is known about it changes: late data
 * (archives arrive unsorted) moved it into another session, a link gave it another userId, or
 * an earlier page view of the same session arrived and it is no touch at all any more
 * (status 'withdrawn'). Each revision has its own envelope id, touchEventId(touchId, revision);
 * revision 1 keeps the touchId itself. A consumer keeps the highest revision per touchId and
 * skips withdrawn touches. Messages without `revision`/`status` (the first version of this
 * contract) read as revision 1, recorded.
 */
export const TOUCH_TYPE = 'attribution.touch.recorded';
export const TOUCH_STATUSES = ['recorded', 'withdrawn'] as const;
export type TouchStatus = (typeof TOUCH_STATUSES)[number];

export const touchDataSchema = z.object({
  touchId: z.string().min(1),
  anonymousId: z.string().min(1).nullable(),
  /** The user the touch belongs to (the link covering its time), when known. */
  userId: z.string().min(1).nullable(),
  sessionId: z.string().min(1),
  messageId: z.string().min(1),
  occurredAt: isoTimestampSchema,
  url: z.string().nullable(),
  referrer: z.string().nullable(),
  source: touchSourceSchema,
  /** 'withdrawn': late data showed this page view is no touch; downstream skips it. */
  status: z.enum(TOUCH_STATUSES).default('recorded'),
  /** Increases by one each time the touch is re-published. */
  revision: z.number().int().positive().default(1),
});
export const touchSchema = envelopeSchema(TOUCH_TYPE, touchDataSchema);
export type TouchData = z.infer<typeof touchDataSchema>;
export type Touch = Envelope<typeof TOUCH_TYPE, TouchData>;

/** The touch id of the page view with this Segment messageId. */
export function touchIdOf(messageId: string): string {
  return deterministicId('attribution.touch', messageId);
}

/** The session id of the session this page view opened. */
export function sessionIdOf(openerMessageId: string): string {
  return deterministicId('attribution.session', openerMessageId);
}

/** The envelope id of one revision of a touch: revision 1 is the touchId itself. */
export function touchEventId(touchId: string, revision: number): string {
  return revision === 1 ? touchId : deterministicId('attribution.touch.revision', touchId, String(revision));
}
