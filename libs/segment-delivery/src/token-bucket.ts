/**
 * A token bucket for requests per second, as a "generic cell rate" schedule: each reservation
 * says how long to wait before sending, so callers never spin. `burst` requests may go at once
 * after a quiet spell; the long-run rate never exceeds `ratePerSecond`. Time is passed in, so the
 * schedule is tested without a clock.
 */
export class TokenBucket {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  /** When the next request would be due if requests arrived at exactly the rate. */
  private theoreticalArrivalMs = Number.NEGATIVE_INFINITY;

  constructor(ratePerSecond: number, burst: number = Math.max(1, Math.floor(ratePerSecond))) {
    if (!(ratePerSecond > 0)) throw new Error('rate must be positive');
    if (!(burst >= 1)) throw new Error('burst must be at least 1');
    this.intervalMs = 1000 / ratePerSecond;
    this.toleranceMs = (burst - 1) * this.intervalMs;
  }

  /** Takes a token: returns the milliseconds to wait before the request may go (0: now). */
  reserve(nowMs: number): number {
    const due = Math.max(this.theoreticalArrivalMs, nowMs);
    const sendAt = Math.max(nowMs, due - this.toleranceMs);
    this.theoreticalArrivalMs = due + this.intervalMs;
    return sendAt - nowMs;
  }

  /**
   * Segment said 429: nothing goes before `untilMs`, and from then on requests resume at the
   * rate without a burst (a burst right after a 429 would most likely earn another).
   */
  pauseUntil(untilMs: number): void {
    this.theoreticalArrivalMs = Math.max(this.theoreticalArrivalMs, untilMs + this.toleranceMs);
  }
}
