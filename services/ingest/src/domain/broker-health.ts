import type { AckOutcome } from './ack';

/**
 * Whether ingest can get events acknowledged right now, for /ready. kafkajs keeps reporting its
 * producer connected while the broker is down, so this tracks what requests see (an ack, or a
 * failure / timeout) and, when it has not heard for a while or the last outcome was a failure,
 * asks the broker directly (in the background, one check at a time): an instance taken out of
 * rotation gets no traffic, so it must find out by itself that the broker is back.
 */
export class BrokerHealth {
  private healthy = true;
  private lastEvidenceAt: number;
  private checking = false;

  constructor(
    private readonly brokerReachable: () => Promise<boolean>,
    private readonly options: { recheckAfterMs: number } = { recheckAfterMs: 5_000 },
    private readonly now: () => number = Date.now,
  ) {
    this.lastEvidenceAt = now();
  }

  record(outcome: AckOutcome['kind']): void {
    this.healthy = outcome === 'acked';
    this.lastEvidenceAt = this.now();
  }

  /** The current answer; may start a check whose result a later call sees. */
  ready(): boolean {
    if (!this.healthy || this.now() - this.lastEvidenceAt >= this.options.recheckAfterMs) this.check();
    return this.healthy;
  }

  private check(): void {
    if (this.checking) return;
    this.checking = true;
    const startedAt = this.now();
    this.brokerReachable()
      .catch(() => false)
      .then((reachable) => {
        // A request's outcome newer than this check is better evidence than the check.
        if (this.lastEvidenceAt <= startedAt) {
          this.healthy = reachable;
          this.lastEvidenceAt = this.now();
        }
      })
      .finally(() => {
        this.checking = false;
      })
      .catch(() => undefined);
  }
}
