import { pageView } from '../bench/live-load';

/** One unique page view the load sent, and what became of it at ingest. */
export interface LoadEvent {
  messageId: string;
  anonymousId: string;
  /** The fault under way when the event was made; its figures count it. */
  fault: string;
  /** Date.now() when ingest answered 200 for it; undefined while it is still being retried. */
  acceptedAt?: number;
}

export interface SteadyLoadOptions {
  /** Read before every request: ingest may move (a restarted service gets a new port). */
  ingestUrl: () => string;
  writeKey: string;
  /** Makes messageIds and visitors unique to this run. */
  runId: string;
  /** New events per request, and the pause between requests. */
  batchSize?: number;
  intervalMs?: number;
  /** How long one request may take before it counts as failed (and its events are sent again). */
  requestTimeoutMs?: number;
}

/**
 * A steady stream of first page views of new visitors into ingest's `POST /v1/batch`, as the
 * Segment SDKs send them, one request at a time. An event counts as accepted once ingest answered
 * 200 without listing it as rejected; anything else (a 5xx, a refused connection, a timeout) is
 * sent again with the same messageId in the next request, as the SDKs retry. Each accepted event
 * has a known downstream effect: a new visitor, so one touch (its Source Identified track) and one
 * identify of the anonymous visitor.
 */
export class SteadyLoad {
  private readonly events: LoadEvent[] = [];
  private readonly retry: LoadEvent[] = [];
  /** messageId -> the page view as sent, so a retry sends the same event. */
  private readonly bodies = new Map<string, Record<string, unknown>>();
  private next = 0;
  private fault: string | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private giveUpAt = Infinity;
  /** Requests sent, and requests that did not end in a 200. */
  requests = 0;
  failedRequests = 0;
  /** Events ingest answered 200 for but listed as rejected (a clean event never should be). */
  readonly rejected: Array<{ messageId: string; reason: string }> = [];

  constructor(private readonly options: SteadyLoadOptions) {}

  /** Starts sending (if not already), new events counted under `fault`. */
  start(fault: string): void {
    this.fault = fault;
    this.stopping = false;
    this.loop ??= this.run().finally(() => {
      this.loop = null;
    });
  }

  /**
   * Stops making new events and keeps re-sending the unaccepted ones until ingest took them, or
   * gives them up after `giveUpAfterMs` (they stay unaccepted). Resolves with how many it gave up.
   */
  async stop(giveUpAfterMs = 60_000): Promise<number> {
    this.fault = null;
    this.stopping = true;
    this.giveUpAt = Date.now() + giveUpAfterMs;
    await this.loop;
    return this.retry.splice(0).length;
  }

  /** The events made under one fault. */
  of(fault: string): LoadEvent[] {
    return this.events.filter((event) => event.fault === fault);
  }

  /** Events ingest accepted so far, all faults. */
  acceptedCount(): number {
    return this.events.filter((event) => event.acceptedAt !== undefined).length;
  }

  /** Events still waiting for ingest to accept them. */
  pending(): number {
    return this.retry.length;
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 5;
    const intervalMs = this.options.intervalMs ?? 500;
    while (!(this.stopping && (this.retry.length === 0 || Date.now() > this.giveUpAt))) {
      const started = Date.now();
      const batch = this.retry.splice(0);
      if (this.fault !== null) for (let i = 0; i < batchSize; i++) batch.push(this.make(this.fault));
      if (batch.length > 0) await this.send(batch);
      await new Promise((done) => setTimeout(done, Math.max(0, intervalMs - (Date.now() - started))));
    }
  }

  private make(fault: string): LoadEvent {
    const n = this.next++;
    const body = pageView(n, this.options.runId);
    const event: LoadEvent = { messageId: String(body.messageId), anonymousId: String(body.anonymousId), fault };
    this.events.push(event);
    this.bodies.set(event.messageId, body);
    return event;
  }

  private async send(batch: LoadEvent[]): Promise<void> {
    this.requests += 1;
    try {
      const response = await fetch(`${this.options.ingestUrl()}/v1/batch`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${this.options.writeKey}:`).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ batch: batch.map((event) => this.bodies.get(event.messageId)) }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
      });
      const answer = (await response.json().catch(() => ({}))) as { rejected?: Array<{ messageId: string | null; reason: string }> };
      if (response.status !== 200) throw new Error(`ingest answered ${response.status}`);
      const rejected = new Map((answer.rejected ?? []).map((item) => [item.messageId, item.reason]));
      const now = Date.now();
      for (const event of batch) {
        const reason = rejected.get(event.messageId);
        if (reason === undefined) event.acceptedAt = now;
        else this.rejected.push({ messageId: event.messageId, reason });
      }
    } catch {
      // Down, refused, 5xx or too slow: the same events go again, as an SDK retries.
      this.failedRequests += 1;
      this.retry.push(...batch);
    }
  }
}
