import { FatalError } from '@touchstream/kafka';

/** Postgres error classes no retry can fix (data exception, integrity violation, program limit). */
const POISON_SQLSTATE = /^(22|23|54)/;

/**
 * A Postgres error that would fail every retry becomes fatal, so the consumer isolates the message
 * that causes it and dead-letters it instead of blocking its partition. Anything else (connection
 * loss, serialization failure, deadlock, unknown) stays as it is: retried. The message says only
 * the SQLSTATE: Postgres's own text may quote values (PII) and dead-letter headers must not.
 */
export function classifyDatabaseError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && POISON_SQLSTATE.test(code)) {
    return new FatalError(`the identity graph refused the batch (SQLSTATE ${code})`, { cause: error });
  }
  return error;
}
