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

/** Node socket errors: the same call may succeed once the peer is back. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** A Postgres SQLSTATE: five characters, the first two its class (a digit first for every class this file names). */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Postgres conditions where the same statement may succeed later: connection exceptions (08),
 * serialization failure and deadlock (40001, 40P01), insufficient resources (53: too many
 * connections, out of memory or disk), operator intervention (57: shutdown, cannot connect now,
 * a cancelled statement), a lock not available (55P03) and the server's own I/O errors (58).
 */
function transientSqlState(code: string): boolean {
  const sqlClass = code.slice(0, 2);
  return ['08', '53', '57', '58'].includes(sqlClass) || code === '40001' || code === '40P01' || code === '55P03';
}

/**
 * Postgres conditions that come from the data itself, so every retry of the same record fails
 * alike: data exceptions (22: a value out of range, a NUL in text, a bad timestamp), integrity
 * constraint violations (23) and program limits exceeded (54: an index row or a statement too
 * large).
 */
function permanentSqlState(code: string): boolean {
  const sqlClass = code.slice(0, 2);
  return sqlClass === '22' || sqlClass === '23' || sqlClass === '54';
}

/**
 * node-postgres's own errors for a lost or unobtainable connection carry no code; they are
 * recognised by their (fixed, value-free) text.
 */
const TRANSIENT_DRIVER_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|Connection ended)/;

/** The Postgres condition names dead-letter reasons use for the permanent codes met so far. */
const CONDITION_NAMES: Record<string, string> = {
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22009': 'invalid_time_zone_displacement_value',
  '22023': 'invalid_parameter_value',
  '22021': 'character_not_in_repertoire',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '54000': 'program_limit_exceeded',
  '54001': 'statement_too_complex',
};

/**
 * What trying again can do about a failure:
 * - transient: the same call may succeed later (a lost connection, a serialization failure);
 *   retried with backoff, never dead-lettered;
 * - permanent: the record itself is at fault (it breaks a contract, Postgres refuses its data);
 *   retrying cannot help, so the consumer isolates it and dead-letters it;
 * - unknown: anything else (most likely a bug, or a fault nobody classified yet); retried like a
 *   transient failure, never dead-lettered (ADR 0012).
 */
export type FailureKind = 'transient' | 'permanent' | 'unknown';

export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof RetriableError) return 'transient';
  if (error instanceof FatalError) return 'permanent';
  if (typeof error !== 'object' || error === null) return 'unknown';
  const candidate = error as { retriable?: unknown; code?: unknown; cause?: unknown; driverError?: unknown; message?: unknown };
  if (typeof candidate.code === 'string') {
    if (TRANSIENT_CODES.has(candidate.code)) return 'transient';
    if (SQLSTATE.test(candidate.code) && /^[0-9]/.test(candidate.code)) {
      if (transientSqlState(candidate.code)) return 'transient';
      if (permanentSqlState(candidate.code)) return 'permanent';
    }
  }
  if (typeof candidate.retriable === 'boolean') return candidate.retriable ? 'transient' : 'permanent';
  if (typeof candidate.message === 'string' && TRANSIENT_DRIVER_MESSAGES.test(candidate.message)) return 'transient';
  // typeorm keeps the driver's error as driverError (and copies its fields); Error causes nest.
  for (const inner of [candidate.driverError, candidate.cause]) {
    if (inner !== undefined && inner !== error) {
      const kind = classifyFailure(inner);
      if (kind !== 'unknown') return kind;
    }
  }
  return 'unknown';
}

/**
 * Whether retrying may help: everything but a permanent failure. Unknown errors count as
 * retriable: losing a message to the dead-letter topic because of an unrecognised transient fault
 * is worse than retrying a bug (a consumer reports a partition that stops moving: not ready).
 */
export function isRetriable(error: unknown): boolean {
  return classifyFailure(error) !== 'permanent';
}

/**
 * The error a dead letter carries for a permanent failure. A Postgres error is replaced by one that
 * names its SQLSTATE, condition and the table, column or constraint involved: Postgres's own text
 * may quote the refused value (personal data), and dead-letter headers must never carry payload
 * values. Other errors are kept (their messages are the project's own).
 */
export function deadLetterError(error: unknown): Error {
  const postgres = postgresErrorOf(error);
  if (postgres === null) return error instanceof Error ? error : new FatalError(String(error));
  const where = (['table', 'column', 'constraint'] as const)
    .filter((field) => typeof postgres[field] === 'string' && postgres[field] !== '')
    .map((field) => `${field} ${postgres[field] as string}`);
  const name = CONDITION_NAMES[postgres.code];
  const condition = name ? `SQLSTATE ${postgres.code} (${name})` : `SQLSTATE ${postgres.code}`;
  return new PostgresDataError(`Postgres refused the record: ${condition}${where.length > 0 ? ` on ${where.join(', ')}` : ''}`, {
    cause: error,
  });
}

/** A Postgres refusal of a record's data (SQLSTATE class 22, 23 or 54), told without its values. */
export class PostgresDataError extends FatalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PostgresDataError';
  }
}

interface PostgresErrorFields {
  code: string;
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
}

function postgresErrorOf(error: unknown, depth = 0): PostgresErrorFields | null {
  if (typeof error !== 'object' || error === null || depth > 5) return null;
  const candidate = error as { code?: unknown; cause?: unknown; driverError?: unknown };
  if (typeof candidate.code === 'string' && SQLSTATE.test(candidate.code) && permanentSqlState(candidate.code)) {
    return candidate as PostgresErrorFields;
  }
  return postgresErrorOf(candidate.driverError, depth + 1) ?? postgresErrorOf(candidate.cause, depth + 1);
}

/**
 * kafkajs errors that, at boot, mean "the broker is not there or not ready yet" although kafkajs
 * marks them final: its own retries ran out (the cause was retriable), no group coordinator yet,
 * a lock or request that timed out while the broker was starting.
 */
const NOT_READY_YET = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
]);

/**
 * Whether a failure while a service boots (provisioning topics, connecting, joining a group) may
 * go away by itself: a broker still starting, electing leaders or spreading a new topic's
 * metadata ("This server does not host this topic-partition"). Boot retries these up to a
 * deadline (KafkaRuntime); anything else (a refused configuration) fails the boot at once.
 */
export function transientAtBoot(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && NOT_READY_YET.has((error as Error).name)) return true;
  return isRetriable(error);
}
