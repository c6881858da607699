import { z } from 'zod';
import { RAW_EVENT_TYPE, SEGMENT_EVENT_TYPES, eventSourceSchema, identityLinkSchema, type EventSource } from '@touchstream/contracts';
import type { LinkState } from '../domain';
import { DecodeError, jsonDecoder } from '@touchstream/kafka';
import type { ClassifiedView, PageClassifier } from '../domain';
import { readPageView, type PageViewRead } from '../domain';

/** The inbound message a change follows from: its derived facts keep its trace ids. */
export interface Cause {
  id: string;
  correlationId: string;
  source: EventSource;
  occurredAt: string;
}

export type ClassifiedPageView = PageViewRead & ClassifiedView;

export type AttributionMessage =
  | { kind: 'page-view'; cause: Cause; view: ClassifiedPageView }
  | { kind: 'link'; cause: Cause; link: LinkState }
  /** A raw event that is no page view (identify, alias, a track without a page URL...). */
  | { kind: 'ignored' };

const idText = z
  .union([z.string(), z.number()])
  .transform((value) => String(value))
  .nullish();
/** Only the keys read are kept (and checked); z.object drops the rest without looking at it. */
const anything = z.unknown().optional();
const pageFields = z.object({ url: anything, referrer: anything });
const campaignFields = z.object({ name: anything, source: anything, medium: anything, term: anything, content: anything });

/**
 * The part of segment.events.raw.v1 attribution relies on, validated per message: the ingest
 * service validated the whole event against the Segment spec already, and re-checking every
 * field on a replay of millions of events would cost more than the rest of the work.
 */
const rawEventFieldsSchema = z.object({
  id: z.string().min(1),
  type: z.literal(RAW_EVENT_TYPE),
  occurredAt: z.string(),
  correlationId: z.string().min(1),
  source: eventSourceSchema,
  data: z.object({
    event: z.object({
      type: z.enum(SEGMENT_EVENT_TYPES),
      messageId: z.string().min(1),
      anonymousId: idText,
      userId: idText,
      timestamp: z.string().min(1),
      receivedAt: z.string().nullish(),
      context: z.object({ page: pageFields.nullish(), campaign: campaignFields.nullish(), library: anything }).nullish(),
      properties: pageFields.nullish(),
    }),
  }),
});

const decodeRawFields = jsonDecoder(rawEventFieldsSchema);
const decodeLink = jsonDecoder(identityLinkSchema);

export interface AttributionTopics {
  rawEvents: string;
  identityLinks: string;
}

/** Decodes and classifies one message of either topic; throws DecodeError for a poison message. */
export function attributionDecoder(
  topics: AttributionTopics,
  classifier: PageClassifier,
): (value: Buffer | null, topic: string) => AttributionMessage {
  return (value, topic) => {
    if (topic === topics.rawEvents) {
      const raw = decodeRawFields(value);
      const read = readPageView(raw.data.event);
      if (read === null) return { kind: 'ignored' };
      const cause = { id: raw.id, correlationId: raw.correlationId, source: raw.source, occurredAt: raw.occurredAt };
      return { kind: 'page-view', cause, view: { ...read, ...classifier.classifyView(read.url, read.referrer, read.campaign) } };
    }
    if (topic === topics.identityLinks) {
      const envelope = decodeLink(value);
      const firstSeenAt = Date.parse(envelope.data.firstSeenAt);
      const cause = { id: envelope.id, correlationId: envelope.correlationId, source: envelope.source, occurredAt: envelope.occurredAt };
      const { anonymousId, userId, revision } = envelope.data;
      return { kind: 'link', cause, link: { anonymousId, userId, firstSeenAt, revision } };
    }
    throw new DecodeError(`no decoder for topic ${topic}`);
  };
}
