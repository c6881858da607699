/**
 * Segment's HTTP Tracking API limits (as its documentation states them), in UTF-8 bytes: 32 KB per
 * event, 500 KB per request, 2,500 events per batch (Segment answers 200 and drops the rest).
 */
export const SEGMENT_LIMITS = {
  maxEventBytes: 32 * 1024,
  maxRequestBytes: 500 * 1024,
  maxBatchEvents: 2_500,
} as const;

/** What the sink packs to: at most Segment's limits, usually with a margin. */
export interface BatchLimits {
  maxEventBytes: number;
  maxRequestBytes: number;
  maxBatchEvents: number;
}

/**
 * The sink's defaults keep a margin under Segment's numbers (as the official Node SDK does with
 * 480 KB batches), so a limit counted as 1,000 bytes per KB instead of 1,024 is still respected.
 */
export const DEFAULT_BATCH_LIMITS: BatchLimits = {
  maxEventBytes: 32_000,
  maxRequestBytes: 480_000,
  maxBatchEvents: 2_500,
};

/** Refuses limits above Segment's own: a batch built to them could be refused or silently truncated. */
export function checkLimits(limits: BatchLimits): string[] {
  const problems: string[] = [];
  if (limits.maxEventBytes > SEGMENT_LIMITS.maxEventBytes) problems.push(`max event bytes must be at most ${SEGMENT_LIMITS.maxEventBytes}`);
  if (limits.maxRequestBytes > SEGMENT_LIMITS.maxRequestBytes) {
    problems.push(`max request bytes must be at most ${SEGMENT_LIMITS.maxRequestBytes}`);
  }
  if (limits.maxBatchEvents > SEGMENT_LIMITS.maxBatchEvents)
    problems.push(`max batch events must be at most ${SEGMENT_LIMITS.maxBatchEvents}`);
  if (limits.maxRequestBytes < limits.maxEventBytes + REQUEST_OVERHEAD_BYTES) {
    problems.push('max request bytes must leave room for at least one event of max event bytes');
  }
  return problems;
}

/** `{"batch":[` + `],"sentAt":"2024-01-01T00:00:00.000Z"}`: what a request adds around its events. */
export const REQUEST_OVERHEAD_BYTES = '{"batch":[],"sentAt":""}'.length + '2024-01-01T00:00:00.000Z'.length;
