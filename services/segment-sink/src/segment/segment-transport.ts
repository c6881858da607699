/** What came back from one POST /v1/batch: Segment's answer, or no answer at all. */
export type TransportResult =
  | { kind: 'answer'; status: number; retryAfter: string | null; rateLimitReset: string | null; body: string }
  | { kind: 'failure'; failure: 'timeout' | 'connection'; message: string };

/** Sends one request body (already packed to Segment's limits) to Segment, or pretends to. */
export interface SegmentTransport {
  readonly description: string;
  /** `traceparent`: the W3C trace context the request continues (its first event's), sent as a header. */
  post(body: Buffer, summary: { events: number; bytes: number; traceparent?: string | undefined }): Promise<TransportResult>;
  close(): Promise<void>;
}

export const SEGMENT_TRANSPORT = Symbol('SEGMENT_TRANSPORT');
