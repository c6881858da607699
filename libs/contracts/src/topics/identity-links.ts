import { z } from 'zod';
import { envelopeSchema, isoTimestampSchema, type Envelope } from '../envelope';
import { deterministicId } from '../ids';

/**
 * identity.links.v1: the first sighting of an anonymousId together with a userId. Key:
 * anonymousId. A link is published once per revision: revision 1 when the pair is first seen;
 * when a sighting earlier than the published one arrives later (archives arrive out of order),
 * the link is re-published with the earlier firstSeenAt and revision + 1. Each revision is its
 * own event with its own deterministic id, identityLinkId(anonymousId, userId, revision), so
 * outboxes and consumers dedupe redeliveries without swallowing a correction. A consumer keeps
 * the earliest firstSeenAt it has seen for a pair (equivalently, the highest revision).
 *
 * `anonymousId` is the id a userId was joined to: the anonymousId of an identify or of any event
 * carrying both ids, or an alias call's previousId, whatever kind of id that is.
 */
export const IDENTITY_LINK_TYPE = 'identity.link.observed';
export const LINK_VIAS = ['identify', 'event', 'alias'] as const;
export type LinkVia = (typeof LINK_VIAS)[number];

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

/** The envelope id of one revision of a link: the same revision always gets the same id. */
export function identityLinkId(anonymousId: string, userId: string, revision: number): string {
  return deterministicId('identity.link', anonymousId, userId, String(revision));
}
