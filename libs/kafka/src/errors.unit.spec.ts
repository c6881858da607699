import { describe, expect, it } from 'vitest';
import { classifyFailure, deadLetterError, FatalError, isRetriable, PostgresDataError, RetriableError } from './errors';

/** An error as node-postgres raises it, with the value Postgres quoted in its text. */
const pgError = (code: string, fields: Record<string, string> = {}) =>
  Object.assign(new Error('date/time field value out of range: "ada@example.com"'), { code, ...fields });

/** typeorm's QueryFailedError keeps the driver's error and copies its fields. */
const queryFailed = (driverError: Error) => Object.assign(new Error(driverError.message), { driverError });

describe('classifyFailure', () => {
  it.each(['22008', '22007', '22021', '22P02', '22P05', '23505', '23514', '54000', '54001'])(
    'makes Postgres SQLSTATE %s (classes 22, 23, 54) permanent',
    (code) => {
      expect(classifyFailure(pgError(code))).toBe('permanent');
      expect(classifyFailure(queryFailed(pgError(code)))).toBe('permanent');
      expect(isRetriable(pgError(code))).toBe(false);
    },
  );

  it.each(['08000', '08003', '08006', '08P01', '40001', '40P01', '53100', '53200', '53300', '57P01', '57P03', '57014', '55P03', '58030'])(
    'keeps Postgres SQLSTATE %s (connection, serialization, deadlock, resources, shutdown) transient',
    (code) => {
      expect(classifyFailure(pgError(code))).toBe('transient');
      expect(classifyFailure(queryFailed(pgError(code)))).toBe('transient');
      expect(isRetriable(pgError(code))).toBe(true);
    },
  );

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'])('keeps the socket error %s transient', (code) => {
    expect(classifyFailure(Object.assign(new Error('socket'), { code }))).toBe('transient');
  });

  it('recognises node-postgres connection losses, which carry no code', () => {
    expect(classifyFailure(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(classifyFailure(queryFailed(new Error('Connection terminated due to connection timeout')))).toBe('transient');
    expect(classifyFailure(new Error('timeout exceeded when trying to connect'))).toBe('transient');
  });

  it('follows explicit markers, kafkajs retriable flags and causes', () => {
    expect(classifyFailure(new RetriableError('x'))).toBe('transient');
    expect(classifyFailure(new FatalError('x'))).toBe('permanent');
    expect(classifyFailure(Object.assign(new Error('kafka'), { retriable: false }))).toBe('permanent');
    expect(classifyFailure(Object.assign(new Error('kafka'), { retriable: true }))).toBe('transient');
    expect(classifyFailure(new Error('wrapped', { cause: pgError('40001') }))).toBe('transient');
    expect(classifyFailure(new Error('wrapped', { cause: pgError('22021') }))).toBe('permanent');
  });

  it('leaves what it cannot tell unknown (retried, never dead-lettered): bugs, other SQLSTATE classes', () => {
    expect(classifyFailure(new TypeError('x is undefined'))).toBe('unknown');
    expect(classifyFailure(pgError('42P01'))).toBe('unknown');
    expect(classifyFailure(pgError('25P02'))).toBe('unknown');
    expect(classifyFailure('a string')).toBe('unknown');
    expect(isRetriable(new TypeError('x'))).toBe(true);
  });
});

describe('deadLetterError', () => {
  it('tells a Postgres refusal by SQLSTATE, condition and place, never by the text that quotes the value', () => {
    const error = deadLetterError(queryFailed(pgError('54000', { table: 'subjects', constraint: 'subjects_pkey' })));
    expect(error).toBeInstanceOf(PostgresDataError);
    expect(error.message).toBe(
      'Postgres refused the record: SQLSTATE 54000 (program_limit_exceeded) on table subjects, constraint subjects_pkey',
    );
    expect(error.message).not.toContain('ada@example.com');
    expect(deadLetterError(pgError('22008')).message).toBe('Postgres refused the record: SQLSTATE 22008 (datetime_field_overflow)');
  });

  it("keeps the project's own errors as they are", () => {
    const fatal = new FatalError('13 is unlucky');
    expect(deadLetterError(fatal)).toBe(fatal);
  });
});
