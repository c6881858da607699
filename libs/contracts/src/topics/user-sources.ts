import { z } from 'zod';
import { envelopeSchema } from '../envelope';
import { touchDataSchema } from './touches';

/**
 * attribution.user-sources.v1: a subject's first and last touch, published whenever either
 * changes. `version` increases by one per subject; id = deterministicId('attribution.user-sources',
 * subjectType, subjectId, version). Key: the subjectId.
 */
export const USER_SOURCES_TYPE = 'attribution.user-sources.changed';
export const SUBJECT_TYPES = ['user', 'anonymous'] as const;
export const LAST_TOUCH_MODELS = ['last-non-direct', 'last-touch'] as const;

export const userSourcesDataSchema = z.object({
  subjectType: z.enum(SUBJECT_TYPES),
  subjectId: z.string().min(1),
  version: z.number().int().positive(),
  firstTouch: touchDataSchema,
  lastTouch: touchDataSchema,
  lastTouchModel: z.enum(LAST_TOUCH_MODELS),
  /** How many touches the subject had when this was computed. */
  touchCount: z.number().int().positive(),
});
export const userSourcesSchema = envelopeSchema(USER_SOURCES_TYPE, userSourcesDataSchema);
export type UserSourcesData = z.infer<typeof userSourcesDataSchema>;
export type UserSources = z.infer<typeof userSourcesSchema>;
