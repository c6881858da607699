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
