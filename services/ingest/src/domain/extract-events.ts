import { channelPath, type IngestChannel } from './limits';

export interface ExtractedEvents {
  /** The events as sent (batch-level fields applied), each still to be validated. */
  candidates: unknown[];
  /** The body was one event rather than a batch: an invalid one fails the request (400). */
  single: boolean;
  /** `writeKey` from the body, which Segment accepts instead of Basic auth. */
  bodyWriteKey: string | undefined;
}

export type Extraction = { ok: true; value: ExtractedEvents } | { ok: false; message: string };

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

interface BatchLevel {
  context?: JsonObject;
  integrations?: JsonObject;
  sentAt?: unknown;
}

/**
 * Splits a parsed body into candidate events, the way Segment reads each route:
 * - /v1/batch: `{batch: [...], context?, integrations?, sentAt?, writeKey?}`; batch-level context
 *   and integrations are merged under each event's own, and the batch's sentAt (which the SDKs
 *   send once per batch) applies to events without their own, for clock-skew correction.
 * - /v1/track, /v1/page, ...: one event; its type comes from the route.
 * - /v1/webhook: one event, `{batch: [...]}`, or a JSON array (Webhooks (Actions) batching).
 * `writeKey` is a credential: it is taken off every event and never stored.
 */
export function extractEvents(channel: IngestChannel, body: unknown): Extraction {
  if (channel.kind === 'api' && channel.route !== 'batch') {
    if (!isObject(body)) return { ok: false, message: `${channelPath(channel)} expects one event as a JSON object` };
    const event = withoutWriteKey({ ...body, type: channel.route });
    return { ok: true, value: { candidates: [event], single: true, bodyWriteKey: stringOrUndefined(body.writeKey) } };
  }
  if (channel.kind === 'webhook' && Array.isArray(body)) {
    return { ok: true, value: { candidates: body.map((item) => applyBatchLevel(item, {})), single: false, bodyWriteKey: undefined } };
  }
  if (isObject(body) && Array.isArray(body.batch)) {
    const level: BatchLevel = {
      context: isObject(body.context) ? body.context : undefined,
      integrations: isObject(body.integrations) ? body.integrations : undefined,
      sentAt: body.sentAt,
    };
    return {
      ok: true,
      value: {
        candidates: body.batch.map((item: unknown) => applyBatchLevel(item, level)),
        single: false,
        bodyWriteKey: stringOrUndefined(body.writeKey),
      },
    };
  }
  if (channel.kind === 'webhook' && isObject(body)) {
    return { ok: true, value: { candidates: [withoutWriteKey(body)], single: true, bodyWriteKey: undefined } };
  }
  return {
    ok: false,
    message:
      channel.kind === 'webhook'
        ? '/v1/webhook expects one event object, {"batch": [events]} or a JSON array of events'
        : '/v1/batch expects a JSON object {"batch": [events]}',
  };
}

function applyBatchLevel(item: unknown, level: BatchLevel): unknown {
  if (!isObject(item)) return item;
  const event: JsonObject = { ...item };
  if (level.context && (event.context === undefined || isObject(event.context))) event.context = { ...level.context, ...event.context };
  if (level.integrations && (event.integrations === undefined || isObject(event.integrations))) {
    event.integrations = { ...level.integrations, ...event.integrations };
  }
  if (level.sentAt !== undefined && event.sentAt === undefined) event.sentAt = level.sentAt;
  if (Object.hasOwn(event, 'writeKey')) delete event.writeKey;
  return event;
}

function withoutWriteKey(event: JsonObject): JsonObject {
  if (!Object.hasOwn(event, 'writeKey')) return event;
  const copy = { ...event };
  delete copy.writeKey;
  return copy;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
