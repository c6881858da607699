import { z } from 'zod';
import { isStorableText, isStorableTime, TIMESTAMP_RANGE_MESSAGE, UNSTORABLE_TEXT_MESSAGE } from '@touchstream/contracts';
import { MAX_ID_LENGTH } from '../domain';

export const MAX_TIMELINE_LIMIT = 500;
export const DEFAULT_TIMELINE_LIMIT = 50;

export const idParamSchema = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH, `an id has at most ${MAX_ID_LENGTH} characters`)
  .refine(isStorableText, `an id ${UNSTORABLE_TEXT_MESSAGE}`);

/** Where a timeline page ends: entries strictly before (timestamp, messageId) in newest-first order. */
export interface TimelineCursor {
  timestamp: string;
  messageId: string;
}

const isoSchema = z.iso
  .datetime({ offset: true })
  .refine((value) => isStorableTime(Date.parse(value)), `before ${TIMESTAMP_RANGE_MESSAGE}`);

export function encodeCursor(cursor: TimelineCursor): string {
  return Buffer.from(JSON.stringify([cursor.timestamp, cursor.messageId])).toString('base64url');
}

/**
 * `before` is either an ISO-8601 timestamp (entries before that time) or the `nextBefore`
 * cursor of a previous page.
 */
const beforeSchema = z.string().transform((value, ctx): TimelineCursor => {
  if (isoSchema.safeParse(value).success) return { timestamp: new Date(value).toISOString(), messageId: '' };
  try {
    const decoded: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    const [timestamp, messageId] = z.tuple([isoSchema, z.string().min(1).refine(isStorableText)]).parse(decoded);
    return { timestamp, messageId };
  } catch {
    ctx.addIssue({ code: 'custom', message: 'before must be an ISO-8601 timestamp or the nextBefore cursor of a previous page' });
    return z.NEVER;
  }
});

export const timelineQuerySchema = z
  .strictObject({
    userId: idParamSchema.optional(),
    anonymousId: idParamSchema.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_TIMELINE_LIMIT, `limit is at most ${MAX_TIMELINE_LIMIT}`).default(DEFAULT_TIMELINE_LIMIT),
    before: beforeSchema.optional(),
  })
  .refine((query) => (query.userId === undefined) !== (query.anonymousId === undefined), {
    message: 'give exactly one of userId or anonymousId',
    path: ['userId'],
  });
export type TimelineQuery = z.output<typeof timelineQuerySchema>;
