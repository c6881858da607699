import { IDENTITY_LINK_TYPE, identityLinkId, type IdentityLink } from '@touchstream/contracts';
import type { LinkSighting } from './observe';

/**
 * The identity.links.v1 event for one revision of a link. Its id is deterministic per
 * revision; it keeps the source and correlation id of the raw event that showed the link, and
 * that event is its cause.
 */
export function linkEvent(link: LinkSighting, revision: number, recordedAt: Date): IdentityLink {
  return {
    id: identityLinkId(link.anonymousId, link.userId, revision),
    type: IDENTITY_LINK_TYPE,
    occurredAt: link.at.iso,
    recordedAt: recordedAt.toISOString(),
    correlationId: link.cause.correlationId,
    causationId: link.cause.eventId,
    source: link.cause.source,
    data: {
      anonymousId: link.anonymousId,
      userId: link.userId,
      firstSeenAt: link.at.iso,
      via: link.via,
      messageId: link.messageId,
      revision,
    },
  };
}
