import { setTimeout as sleep } from 'node:timers/promises';
import { TRACEPARENT_HEADER } from '@touchstream/contracts';
import type { Logger } from '@touchstream/logging';
import {
  TokenBucket,
  judgeAnswer,
  judgeFailure,
  requestBodyBuffer,
  type RequestOutcome,
  type RetryPolicy,
} from '@touchstream/segment-delivery';
import type { DeliveryItem } from '../domain/delivery-item';
import type { SegmentTransport } from '../segment/segment-transport';
import type { DeliveryReporting } from './delivery-reporting';
import { ShuttingDown } from './delivery-tickets';

export interface SegmentRequestsOptions {
  transport: SegmentTransport;
  retry: RetryPolicy;
  rateLimitRps: number;
  maxInFlight: number;
  reporting: DeliveryReporting;
  logger: Logger;
  /** Aborted on shutdown: a request waiting for a token or a backoff gives up with ShuttingDown. */
  signal: AbortSignal;
  now: () => number;
}

/**
 * The dispatcher's requests to Segment: each paced by a token bucket (SINK_RATE_LIMIT_RPS), and
 * retried until Segment gives a final answer. 429 pauses every request for Retry-After; 5xx,
 * timeouts and connection errors back off with jitter.
 */
export class SegmentRequests {
  private readonly bucket: TokenBucket;

  constructor(private readonly options: SegmentRequestsOptions) {
    const { rateLimitRps, maxInFlight } = options;
    // A one-second burst at most: Segment's limit is per second too.
    this.bucket = new TokenBucket(rateLimitRps, Math.max(1, Math.min(maxInFlight, Math.floor(rateLimitRps))));
  }

  /** One request, retried until Segment gives a final answer (2xx or a refusal), or shutdown. */
  async sendUntilFinal(items: readonly DeliveryItem[]): Promise<RequestOutcome> {
    const { transport, retry, reporting, logger, now } = this.options;
    for (let attempt = 1; ; attempt += 1) {
      await this.waitForToken();
      const body = requestBodyBuffer(items, new Date(now()));
      const bytes = body.length;
      const started = performance.now();
      // A batch holds many visits' calls: it continues the trace of its first (W3C allows one parent).
      const traceparent = items[0]?.origin.headers[TRACEPARENT_HEADER];
      const links = () => items.map((item) => item.origin.headers[TRACEPARENT_HEADER]);
      const result = await transport.post(body, { events: items.length, bytes, traceparent, links });
      const seconds = (performance.now() - started) / 1000;
      const verdict =
        result.kind === 'answer'
          ? judgeAnswer(result, attempt, retry, now())
          : judgeFailure(result.failure, result.message, attempt, retry);
      if (verdict.kind === 'delivered') {
        reporting.requestDelivered(items, bytes, seconds);
        return { kind: 'delivered' };
      }
      if (verdict.kind === 'rejected') {
        reporting.requestRefused(items.length, verdict.detail, seconds);
        return { kind: 'rejected', detail: verdict.detail };
      }
      reporting.requestRetried(verdict.reason, verdict.detail, seconds);
      logger.warn('Segment request failed; retrying', {
        reason: verdict.reason,
        detail: verdict.detail,
        attempt,
        waitMs: verdict.delayMs,
        events: items.length,
      });
      if (verdict.pauseAll) this.bucket.pauseUntil(now() + verdict.delayMs);
      await this.pause(verdict.delayMs);
    }
  }

  private async waitForToken(): Promise<void> {
    const wait = this.bucket.reserve(this.options.now());
    if (wait > 0) await this.pause(wait);
    if (this.options.signal.aborted) throw new ShuttingDown();
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.options.signal });
    } catch {
      throw new ShuttingDown();
    }
  }
}
