import { z } from 'zod';
import { envelopeSchema } from '../envelope';
import { deterministicId } from '../ids';
import { touchDataSchema } from './touches';

/**
 * attribution.user-sources.v1: a subject's first and last touch, published whenever either
 * changes (including a change of the touch's session or userId). `version` increases by one per
 * subject; id = userSourcesEventId(subjectType, subjectId, version). Key: the subjectId.
 *
 * Subjects: every userId (over all its linked anonymousIds and its userId-only events), and
 * every anonymousId never identified (visitors: attribution for anonymous traffic).
 *
 * firstTouch and lastTouch are null (touchCount 0) only in a fact that clears an earlier one:
 * - an anonymousId got linked to a user: its touches are now the user's (the user's facts carry
 *   them), and `userIds` names the users;
 * - late data showed that the subject's touches were none (an earlier internal page view opened
 *   the session) or belong to another user.
 * Consumers treat a cleared fact as "no attribution of its own".
 */
export const USER_SOURCES_TYPE = 'attribution.user-sources.changed';
export const SUBJECT_TYPES = ['user', 'anonymous'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];
export const LAST_TOUCH_MODELS = ['last-non-direct', 'last-touch'] as const;
export type LastTouchModel = (typeof LAST_TOUCH_MODELS)[number];

export const userSourcesDataSchema = z
  .object({
    subjectType: z.enum(SUBJECT_TYPES),
    subjectId: z.string().min(1),
    version: z.number().int().positive(),
    firstTouch: touchDataSchema.nullable(),
    lastTouch: touchDataSchema.nullable(),
    lastTouchModel: z.enum(LAST_TOUCH_MODELS),
    /** How many touches the subject had when this was computed. */
    touchCount: z.number().int().nonnegative(),
    /** The users the subject belongs to: an anonymousId's links (sorted; empty while never identified), or [subjectId] for a user. */
    userIds: z.array(z.string().min(1)).default([]),
  })
  .refine((data) => (data.firstTouch === null) === (data.lastTouch === null) && (data.firstTouch === null) === (data.touchCount === 0), {
    message: 'firstTouch and lastTouch are both null exactly when touchCount is 0',
    path: ['touchCount'],
  });
export const userSourcesSchema = envelopeSchema(USER_SOURCES_TYPE, userSourcesDataSchema);
export type UserSourcesData = z.infer<typeof userSourcesDataSchema>;
export type UserSources = z.infer<typeof userSourcesSchema>;

/** The envelope id of one version of a subject's fact. */
export function userSourcesEventId(subjectType: SubjectType, subjectId: string, version: number): string {
  return deterministicId('attribution.user-sources', subjectType, subjectId, String(version));
}
