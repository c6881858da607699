import type { z } from 'zod';
import type { EventSource } from '../envelope';
import type { RawEvent } from '../topics/raw-events';
import { SEGMENT_EVENT_LIMITS, TIMESTAMP_RANGE_MESSAGE, isStorableTime, structureProblem } from './limits';
import { toRawEvent } from './normalize';
import { SEGMENT_EVENT_TYPES, segmentEventSchema, type SegmentEvent } from './spec';

export interface ValidationIssue {
  path: string;
  message: string;
}

export type SegmentValidation = { ok: true; event: SegmentEvent } | { ok: false; reason: string; issues: ValidationIssue[] };

function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

function invalid(type: string, issues: ValidationIssue[]): { ok: false; reason: string; issues: ValidationIssue[] } {
  const reason = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
  return { ok: false, reason: `invalid ${type}: ${reason}`, issues };
}

const ID_FIELDS = ['messageId', 'userId', 'anonymousId', 'previousId', 'groupId'] as const;
const TIME_FIELDS = ['timestamp', 'originalTimestamp', 'sentAt', 'receivedAt'] as const;

/** The limits of what can be stored (./limits.ts) that the Spec schema does not express. */
function storableIssues(event: SegmentEvent): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const fields = event as Record<string, unknown>;
  for (const field of ID_FIELDS) {
    const id = fields[field];
    if (typeof id === 'string' && id.length > SEGMENT_EVENT_LIMITS.maxIdLength) {
      issues.push({ path: field, message: `is ${id.length} characters, over the limit of ${SEGMENT_EVENT_LIMITS.maxIdLength}` });
    }
  }
  for (const field of TIME_FIELDS) {
    const time = fields[field];
    if (typeof time === 'string' && !isStorableTime(Date.parse(time))) issues.push({ path: field, message: TIMESTAMP_RANGE_MESSAGE });
  }
  return issues;
}

/**
 * Validates one event against the Spec schema for its type and the limits of what the pipeline
 * can store (ids, timestamps, nesting, NUL). Never throws: bad input is an expected outcome, and
 * the reason is what the sender (or the rejected topic) gets to read.
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
  // First, before anything walks the event recursively (the schema, canonical JSON for ids).
  const structure = structureProblem(input, SEGMENT_EVENT_LIMITS.maxNestingDepth);
  if (structure) return invalid(type, [structure]);
  const result = segmentEventSchema.safeParse(input);
  if (!result.success) return invalid(type, toIssues(result.error));
  const issues = storableIssues(result.data);
  if (issues.length > 0) return invalid(type, issues);
  return { ok: true, event: result.data };
}

export type RawEventAdmission = { ok: true; raw: RawEvent } | { ok: false; reason: string; issues: ValidationIssue[] };

/**
 * The whole contract of the raw topic, as ingest and the archive importer apply it: the event is
 * valid and storable, and so is its corrected timestamp (an API event's clock-skew correction,
 * `receivedAt - (sentAt - originalTimestamp)`, can land outside the range when sentAt and
 * originalTimestamp are centuries apart).
 */
export function admitSegmentEvent(
  input: unknown,
  context: { source: EventSource; receivedAt: Date; recordedAt?: Date },
): RawEventAdmission {
  const validation = validateSegmentEvent(input);
  if (!validation.ok) return validation;
  const raw = toRawEvent(validation.event, context);
  if (!isStorableTime(Date.parse(raw.data.event.timestamp))) {
    const { earliestTimestamp, latestTimestamp } = SEGMENT_EVENT_LIMITS;
    const message = `corrected for clock skew (receivedAt - (sentAt - originalTimestamp)) it is ${raw.data.event.timestamp}, outside ${earliestTimestamp} to ${latestTimestamp}`;
    return invalid(validation.event.type, [{ path: 'timestamp', message }]);
  }
  return { ok: true, raw };
}
