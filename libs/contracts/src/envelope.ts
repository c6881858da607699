import { z } from 'zod';

/** Where an event entered touchstream. Derived events keep the source of the event that caused them. */
export const EVENT_SOURCES = ['webhook', 'api', 'import', 'replay'] as const;
export const eventSourceSchema = z.enum(EVENT_SOURCES);
export type EventSource = z.infer<typeof eventSourceSchema>;

export const isoTimestampSchema = z.iso.datetime({ offset: true });

/** The metadata every message carries, whatever its topic. */
export const envelopeMetaSchema = z.object({
  /** Deterministic: the same fact always gets the same id. */
  id: z.string().min(1).max(100),
  type: z.string().min(1),
  /** When the fact happened in the world (a page view's timestamp, a link's first sighting). */
  occurredAt: isoTimestampSchema,
  /** When touchstream recorded it. */
  recordedAt: isoTimestampSchema,
  /** Shared by everything that follows from one inbound event. */
  correlationId: z.string().min(1),
  /** The id of the message that directly caused this one; null for inbound events. */
  causationId: z.string().min(1).nullable(),
  source: eventSourceSchema,
});
export type EnvelopeMeta = z.infer<typeof envelopeMetaSchema>;

/** Builds the schema of one topic's value: the envelope with a fixed type and typed data. */
export function envelopeSchema<TType extends string, TData extends z.ZodType>(type: TType, data: TData) {
  return envelopeMetaSchema.extend({ type: z.literal(type), data });
}

export interface Envelope<TType extends string, TData> extends EnvelopeMeta {
  type: TType;
  data: TData;
}
