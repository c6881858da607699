import { z } from 'zod';

/**
 * The Segment Spec (Segment's public "Spec" documentation): identify, track, page, screen, group, alias.
 * Objects are loose: fields we do not model are kept intact, because the raw topic is the system
 * of record and a later rule may need them.
 */

export const SEGMENT_EVENT_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentEventType = (typeof SEGMENT_EVENT_TYPES)[number];

/** Segment takes any timestamp Date.parse understands (ISO-8601 in practice). */
const timestampSchema = z.string().refine((value) => !Number.isNaN(Date.parse(value)), { message: 'must be an ISO-8601 timestamp' });

/** SDKs send ids as strings; some send numbers. Both are kept as strings. */
const idSchema = z.union([z.string(), z.number()]).transform((value) => String(value));
const optionalText = z.string().nullish();
const propertiesSchema = z.record(z.string(), z.unknown());

export const pageContextSchema = z.looseObject({
  url: optionalText,
  path: optionalText,
  referrer: optionalText,
  search: optionalText,
  title: optionalText,
});

export const campaignContextSchema = z.looseObject({
  name: optionalText,
  source: optionalText,
  medium: optionalText,
  term: optionalText,
  content: optionalText,
});

export const segmentContextSchema = z.looseObject({
  page: pageContextSchema.optional(),
  campaign: campaignContextSchema.optional(),
  ip: optionalText,
  userAgent: optionalText,
  locale: optionalText,
});

const commonFields = {
  messageId: z.string().min(1).max(255).optional(),
  userId: idSchema.nullish(),
  anonymousId: idSchema.nullish(),
  timestamp: timestampSchema.optional(),
  originalTimestamp: timestampSchema.optional(),
  sentAt: timestampSchema.optional(),
  receivedAt: timestampSchema.optional(),
  context: segmentContextSchema.optional(),
  integrations: propertiesSchema.optional(),
};

function hasIdentity(event: { userId?: string | null; anonymousId?: string | null }): boolean {
  return Boolean(event.userId) || Boolean(event.anonymousId);
}
const identityRequired = { message: 'userId or anonymousId is required', path: ['userId'] };

export const identifySchema = z
  .looseObject({ ...commonFields, type: z.literal('identify'), traits: propertiesSchema.nullish() })
  .refine(hasIdentity, identityRequired);

export const trackSchema = z
  .looseObject({
    ...commonFields,
    type: z.literal('track'),
    event: z.string().min(1, 'event name is required for track'),
    properties: propertiesSchema.nullish(),
  })
  .refine(hasIdentity, identityRequired);

export const pageSchema = z
  .looseObject({
    ...commonFields,
    type: z.literal('page'),
    name: optionalText,
    category: optionalText,
    properties: propertiesSchema.nullish(),
  })
  .refine(hasIdentity, identityRequired);

export const screenSchema = z
  .looseObject({ ...commonFields, type: z.literal('screen'), name: optionalText, properties: propertiesSchema.nullish() })
  .refine(hasIdentity, identityRequired);

export const groupSchema = z
  .looseObject({
    ...commonFields,
    type: z.literal('group'),
    groupId: idSchema.refine((value) => value.length > 0, 'groupId is required for group'),
    traits: propertiesSchema.nullish(),
  })
  .refine(hasIdentity, identityRequired);

export const aliasSchema = z.looseObject({
  ...commonFields,
  type: z.literal('alias'),
  previousId: idSchema.refine((value) => value.length > 0, 'previousId is required for alias'),
  userId: idSchema.refine((value) => value.length > 0, 'userId is required for alias'),
});

export const segmentEventSchema = z.discriminatedUnion('type', [
  identifySchema,
  trackSchema,
  pageSchema,
  screenSchema,
  groupSchema,
  aliasSchema,
]);

export type IdentifyEvent = z.infer<typeof identifySchema>;
export type TrackEvent = z.infer<typeof trackSchema>;
export type PageEvent = z.infer<typeof pageSchema>;
export type ScreenEvent = z.infer<typeof screenSchema>;
export type GroupEvent = z.infer<typeof groupSchema>;
export type AliasEvent = z.infer<typeof aliasSchema>;
export type SegmentEvent = z.infer<typeof segmentEventSchema>;
/** What a sender may put on the wire, before ids are normalised to strings. */
export type SegmentEventInput = z.input<typeof segmentEventSchema>;
