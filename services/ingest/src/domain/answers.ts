import type { Rejection } from './admit';

/** What the HTTP layer sends back: status, JSON body, extra headers. */
export interface IngestAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Why a whole request was refused (a metrics label: a fixed, small set). */
export type RefusalCode =
  | 'unauthorized'
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_event'
  | 'request_too_large'
  | 'unsupported_encoding'
  | 'unreadable_body'
  | 'overloaded'
  | 'broker_unavailable';

export interface RejectedItem {
  index: number;
  messageId: string | null;
  reason: string;
}

const rejectedItems = (rejected: readonly Rejection[]): RejectedItem[] =>
  rejected.map(({ index, messageId, reason }) => ({ index, messageId, reason }));

/** 200: every accepted event is acknowledged by the broker; the rejected ones are in the rejected topic. */
export function acceptedAnswer(accepted: number, rejected: readonly Rejection[]): IngestAnswer {
  return { status: 200, body: { success: true, accepted, rejected: rejectedItems(rejected) }, headers: {} };
}

/** 400 for a request that was one event, and that event was invalid (it is in the rejected topic). */
export function invalidEventAnswer(rejected: readonly Rejection[]): IngestAnswer {
  const first = rejected[0];
  return {
    status: 400,
    body: {
      success: false,
      error: 'invalid_event',
      message: first?.reason ?? 'invalid event',
      accepted: 0,
      rejected: rejectedItems(rejected),
    },
    headers: {},
  };
}

export function refusal(status: number, error: RefusalCode, message: string, extra: Record<string, unknown> = {}): IngestAnswer {
  return { status, body: { success: false, error, message, ...extra }, headers: {} };
}

/**
 * 5xx with Retry-After: Segment and its SDKs retry 5xx (for hours), and drop 4xx for good, so a
 * transient failure is always answered 5xx.
 */
export function unavailable(error: RefusalCode, message: string, retryAfterSeconds: number): IngestAnswer {
  return { status: 503, body: { success: false, error, message }, headers: { 'retry-after': String(retryAfterSeconds) } };
}
