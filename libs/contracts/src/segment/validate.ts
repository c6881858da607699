import type { z } from 'zod';
import { SEGMENT_EVENT_TYPES, segmentEventSchema, type SegmentEvent } from './spec';

export interface ValidationIssue {
  path: string;
  message: string;
}

export type SegmentValidation = { ok: true; event: SegmentEvent } | { ok: false; reason: string; issues: ValidationIssue[] };

function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * Validates one event against the Spec schema for its type. Never throws: bad input is an
 * expected outcome, and the reason is what the sender (or the rejected topic) gets to read.
 */
export function validateSegmentEvent(input: unknown): SegmentValidation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, reason: 'event must be a JSON object', issues: [{ path: '', message: 'not an object' }] };
  }
  const type = (input as { type?: unknown }).type;
  if (typeof type !== 'string' || !(SEGMENT_EVENT_TYPES as readonly string[]).includes(type)) {
    const message = `type must be one of ${SEGMENT_EVENT_TYPES.join(', ')}`;
    return { ok: false, reason: message, issues: [{ path: 'type', message }] };
  }
  const result = segmentEventSchema.safeParse(input);
  if (result.success) return { ok: true, event: result.data };
  const issues = toIssues(result.error);
  const reason = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
  return { ok: false, reason: `invalid ${type}: ${reason}`, issues };
}
