import { z } from 'zod';
import { envelopeSchema, isoTimestampSchema, type Envelope } from '../envelope';

/**
 * identity.links.v1: the first sighting of an anonymousId together with a userId. Published
 * once per pair (envelope id = deterministicId('identity.link', anonymousId, userId)); a link
 * seen earlier later on (archives arrive out of order) is re-published with the earlier
 * firstSeenAt and the same id plus a higher revision. Key: anonymousId.
 */
export const IDENTITY_LINK_TYPE = 'identity.link.observed';
export const LINK_VIAS = ['identify', 'event', 'alias'] as const;

export const identityLinkDataSchema = z.object({
  anonymousId: z.string().min(1),
  userId: z.string().min(1),
  firstSeenAt: isoTimestampSchema,
  via: z.enum(LINK_VIAS),
  /** The Segment messageId of the event that showed the link first. */
  messageId: z.string().min(1),
  /** Increases when firstSeenAt moves earlier. */
  revision: z.number().int().positive(),
});
export const identityLinkSchema = envelopeSchema(IDENTITY_LINK_TYPE, identityLinkDataSchema);
export type IdentityLinkData = z.infer<typeof identityLinkDataSchema>;
export type IdentityLink = Envelope<typeof IDENTITY_LINK_TYPE, IdentityLinkData>;
