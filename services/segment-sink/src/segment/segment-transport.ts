/** What came back from one POST /v1/batch: Segment's answer, or no answer at all. */
export type TransportResult =
  | { kind: 'answer'; status: number; retryAfter: string | null; rateLimitReset: string | null; body: string }
  | { kind: 'failure'; failure: 'timeout' | 'connection'; message: string };

/** What a request carries, besides its body. */
export interface RequestSummary {
  events: number;
  bytes: number;
  /** The W3C trace context the request continues (its first event's); the request's span is its child. */
  traceparent?: string | undefined;
  /** Every event's trace context, which the request's span links to (read only when tracing is on). */
  links?: () => readonly (string | undefined)[];
}

/** Sends one request body (already packed to Segment's limits) to Segment, or pretends to. */
export interface SegmentTransport {
  readonly description: string;
  /** Sends a traceparent header: the request's own span when tracing is on, else `summary.traceparent`. */
  post(body: Buffer, summary: RequestSummary): Promise<TransportResult>;
  close(): Promise<void>;
}

export const SEGMENT_TRANSPORT = Symbol('SEGMENT_TRANSPORT');
