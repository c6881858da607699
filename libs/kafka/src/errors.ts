import type { OutgoingMessage } from './messages';

/**
 * Errors carry whether trying again can help (as kafkajs's own errors do). A consumer retries a
 * retriable error with backoff; a fatal one sends the message to the dead-letter topic.
 */
export class RetriableError extends Error {
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetriableError';
  }
}

export class FatalError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FatalError';
  }
}

/** A message whose bytes do not match its topic's contract: no retry will fix it. */
export class DecodeError extends FatalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecodeError';
  }
}

/**
 * The broker refused a record itself (over message.max.bytes, or failing its validation): sending
 * the same bytes again will be refused again, so the caller must set the record aside. Only the
 * broker's record-level refusals become this; a broker that is down or slow stays retriable.
 */
export class RecordRefusedError extends FatalError {
  /**
   * The messages of a send that were in refused requests (EventProducer.send fills it in): the
   * send's other messages were acknowledged. A refused request does not say which of its records
   * was at fault, so this may name more than the culprit.
   */
  readonly messages: readonly OutgoingMessage[];

  constructor(message: string, options?: { cause?: unknown; messages?: readonly OutgoingMessage[] }) {
    super(message, options);
    this.name = 'RecordRefusedError';
    this.messages = options?.messages ?? [];
  }
}

/** kafkajs protocol error types that refuse the records of a request, not the request's moment. */
const RECORD_REFUSALS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/** A produce failure as a RecordRefusedError when the broker refused the records themselves. */
export function asRecordRefusal(error: unknown): unknown {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  if (typeof type === 'string' && RECORD_REFUSALS.has(type)) {
    return new RecordRefusedError(`the broker refused the record: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

/** Node socket errors and Postgres states where the same call may succeed later. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006', // connection exceptions
]);

/**
 * Classifies an unknown error. Unknown errors count as retriable: losing a message to the
 * dead-letter topic because of an unrecognised transient fault is worse than retrying a bug a
 * few more times (the retry is bounded by the consumer's attempt limit).
 */
export function isRetriable(error: unknown): boolean {
  if (error instanceof RetriableError) return true;
  if (error instanceof FatalError) return false;
  if (typeof error !== 'object' || error === null) return true;
  const candidate = error as { retriable?: unknown; code?: unknown; cause?: unknown };
  if (typeof candidate.code === 'string' && TRANSIENT_CODES.has(candidate.code)) return true;
  if (typeof candidate.retriable === 'boolean') return candidate.retriable;
  if (candidate.cause !== undefined && candidate.cause !== error) return isRetriable(candidate.cause);
  return true;
}
