import type { z } from 'zod';
import { DecodeError } from './errors';

/**
 * Builds a decoder for one topic's contract. Every consumer validates its own payloads: a
 * message that fails is a poison message (DecodeError), headed for the dead-letter topic.
 */
export function jsonDecoder<T extends z.ZodType>(schema: T): (value: Buffer | null) => z.output<T> {
  return (value) => {
    if (value === null) throw new DecodeError('message has no value (tombstone)');
    let parsed: unknown;
    try {
      parsed = JSON.parse(value.toString('utf8'));
    } catch (error) {
      throw new DecodeError(`message value is not JSON: ${(error as Error).message}`);
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const detail = result.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      throw new DecodeError(`message breaks its contract: ${detail}`);
    }
    return result.data;
  };
}
