import { describe, expect, it } from 'vitest';
import { FatalError, isRetriable } from '@touchstream/kafka';
import { classifyDatabaseError } from './poison';

const pgError = (code: string, message = 'invalid input syntax for type json: "ada@example.com"') =>
  Object.assign(new Error(message), { code });

describe('classifyDatabaseError', () => {
  it.each(['22P02', '22021', '23514', '54000'])('makes SQLSTATE %s fatal, without the values Postgres quoted', (code) => {
    const classified = classifyDatabaseError(pgError(code));
    expect(classified).toBeInstanceOf(FatalError);
    expect(isRetriable(classified)).toBe(false);
    expect((classified as Error).message).toBe(`the identity graph refused the batch (SQLSTATE ${code})`);
  });

  it.each(['40001', '40P01', '57P01', '08006', 'ECONNRESET'])('leaves %s retriable', (code) => {
    const error = pgError(code, 'transient');
    expect(classifyDatabaseError(error)).toBe(error);
    expect(isRetriable(error)).toBe(true);
  });

  it('leaves errors without a code as they are', () => {
    const error = new Error('bug');
    expect(classifyDatabaseError(error)).toBe(error);
  });
});
