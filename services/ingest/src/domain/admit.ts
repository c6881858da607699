import {
  REJECTED_EVENT_TYPE,
  admitSegmentEvent,
  canonicalJson,
  deterministicId,
  rawEventKey,
  type EventSource,
  type RejectedEvent,
  type ValidationIssue,
  envelopeMessage,
} from '@touchstream/contracts';
import { type OutgoingMessage } from '@touchstream/kafka';
import type { IngestLimits } from './limits';

/** Why one event of a request was refused (a metrics label: a fixed, small set). */
export type RejectionCode = 'invalid_event' | 'event_too_large' | 'over_batch_limit' | 'not_signed';

export interface Rejection {
  /** Position in the request's batch. */
  index: number;
  /** The sender's messageId, when it sent one. */
  messageId: string | null;
  code: RejectionCode;
  reason: string;
  issues: ValidationIssue[];
  payload: unknown;
}

export interface Admission {
  /** Raw-topic messages, in the order the events came. */
  accepted: OutgoingMessage[];
  rejected: Rejection[];
}

export interface AdmissionContext {
  source: EventSource;
  receivedAt: Date;
  limits: Pick<IngestLimits, 'maxEventBytes' | 'maxBatchEvents'>;
  /**
   * How many leading events the request's signature covers (SEGMENT_SIGNATURE_SCOPE=first-event
   * and a batch signed over its first event only): the ones after are refused. All when unset.
   */
  signedEvents?: number;
}

/**
 * Partial acceptance: every candidate is either turned into a raw-topic message (validated,
 * messageId kept or derived, timestamp corrected, keyed by anonymousId else userId) or rejected
 * with the exact reason. Nothing is dropped: the caller publishes the rejections too.
 */
export function admitEvents(candidates: readonly unknown[], context: AdmissionContext): Admission {
  const { maxBatchEvents, maxEventBytes } = context.limits;
  const accepted: OutgoingMessage[] = [];
  const rejected: Rejection[] = [];
  candidates.forEach((candidate, index) => {
    const reject = (code: RejectionCode, reason: string, issues: ValidationIssue[] = [{ path: '', message: reason }]) =>
      rejected.push({ index, messageId: sendersMessageId(candidate), code, reason, issues, payload: candidate });
    if (context.signedEvents !== undefined && index >= context.signedEvents) {
      return reject(
        'not_signed',
        `event ${index} is not covered by X-Signature, which signs only the batch's first event (SEGMENT_SIGNATURE_SCOPE=first-event): send it in a request signed over its whole body`,
      );
    }
    if (index >= maxBatchEvents) {
      return reject(
        'over_batch_limit',
        `event ${index} is past the limit of ${maxBatchEvents} events per batch (INGEST_MAX_BATCH_EVENTS): send it in another batch`,
      );
    }
    const admission = admitSegmentEvent(candidate, { source: context.source, receivedAt: context.receivedAt });
    if (!admission.ok) return reject('invalid_event', admission.reason, admission.issues);
    const { raw } = admission;
    const message = envelopeMessage(raw, rawEventKey(raw.data.event));
    const bytes = eventBytes(candidate, message.value, maxEventBytes);
    if (bytes > maxEventBytes) {
      return reject(
        'event_too_large',
        `event is ${bytes} bytes, over the limit of ${maxEventBytes} bytes per event (INGEST_MAX_EVENT_BYTES)`,
      );
    }
    accepted.push(message);
  });
  return { accepted, rejected };
}

/**
 * The event's size as sent. Its envelope (already serialised for Kafka) holds it plus a few
 * fields, so an envelope within the limit proves the event is; only larger ones are measured.
 */
function eventBytes(candidate: unknown, envelopeJson: string, limit: number): number {
  // A UTF-8 byte is at least one UTF-16 unit: a short string cannot be long in bytes.
  if (envelopeJson.length * 3 <= limit) return envelopeJson.length;
  const envelopeBytes = Buffer.byteLength(envelopeJson);
  return envelopeBytes <= limit ? envelopeBytes : Buffer.byteLength(JSON.stringify(candidate));
}

export function sendersMessageId(candidate: unknown): string | null {
  if (typeof candidate !== 'object' || candidate === null) return null;
  const messageId = (candidate as { messageId?: unknown }).messageId;
  return typeof messageId === 'string' && messageId.length > 0 ? messageId : null;
}

export interface RefusedPayload {
  reason: string;
  issues: ValidationIssue[];
  messageId: string | null;
  index?: number;
  payload: unknown;
}

/**
 * A refused event (or a whole refused body) as a segment.events.rejected.v1 message. Its id is
 * derived from what was refused and why, so a re-sent request yields the same id, and
 * downstream sees one rejection, not two.
 */
export function rejectedEventMessage(
  refused: RefusedPayload,
  context: { source: EventSource; receivedAt: Date; channel: string },
): OutgoingMessage {
  const id = deterministicId('segment.event.rejected', context.channel, refused.reason, canonicalJson(refused.payload));
  const at = context.receivedAt.toISOString();
  const envelope: RejectedEvent = {
    id,
    type: REJECTED_EVENT_TYPE,
    occurredAt: at,
    recordedAt: at,
    correlationId: refused.messageId ?? id,
    causationId: null,
    source: context.source,
    data: {
      reason: refused.reason,
      issues: refused.issues,
      messageId: refused.messageId,
      origin: refused.index === undefined ? { channel: context.channel } : { channel: context.channel, index: refused.index },
      payload: refused.payload,
    },
  };
  return envelopeMessage(envelope, refused.messageId ?? id);
}
