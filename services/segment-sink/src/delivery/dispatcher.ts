import { setTimeout as sleep } from 'node:timers/promises';
import { RetriableError } from '@touchstream/kafka';
import { describeError, type Logger } from '@touchstream/logging';
import { deliverIsolatingRejects, type BatchLimits, type RetryPolicy } from '@touchstream/segment-delivery';
import type { SegmentTransport } from '../segment/segment-transport';
import type { DeliveryItem, DeliveryReport } from '../domain/delivery-item';
import { DeliveryQueue, type Entry } from './delivery-queue';
import { DeliveryReporting, type DispatcherObserver, type DispatcherStatus } from './delivery-reporting';
import { ShuttingDown, limitWait, openTicket, settleTicket } from './delivery-tickets';
import { SegmentRequests } from './segment-requests';

export type { DispatcherObserver, DispatcherStatus } from './delivery-reporting';

export interface DispatcherSettings {
  limits: BatchLimits;
  flushIntervalMs: number;
  rateLimitRps: number;
  maxInFlight: number;
  retry: RetryPolicy;
}

/** Effects around delivery, wired by the service: Postgres marks and the dead-letter topic. */
export interface DispatcherHooks {
  /** Segment answered 2xx for these. A failure here is logged: the events were delivered all the same. */
  delivered(items: DeliveryItem[]): Promise<void>;
  /** Segment refused this event on its own, or it cannot be sent: dead-letter it with the reason. */
  rejected(item: DeliveryItem, reason: string): Promise<void>;
}

/**
 * The sink's outbound half. Callers submit events and get a promise that settles once every one
 * of them was delivered (2xx) or dead-lettered: that is when a consumer may commit its offsets.
 *
 * - Flush on size or interval: a full request goes at once; a partial one when no request is in
 *   flight (as a coalescing producer does: under load events gather while requests are out, when
 *   idle nothing waits), or once its oldest event has waited SINK_FLUSH_INTERVAL_MS.
 * - Coalescing: while an identify waits, a newer version for the same subject replaces it (both
 *   callers are answered by the newer one's delivery); an identify never overtakes another for
 *   the same subject that is in flight, so Segment sees a subject's versions in order
 *   (DeliveryQueue).
 * - The same messageId submitted again (a redelivered batch) joins the event already queued or
 *   in flight instead of being sent twice.
 * - Requests: at most SINK_MAX_IN_FLIGHT at once, paced and retried by SegmentRequests; a 400
 *   splits the batch until the refused event stands alone (dead-lettered).
 * - A caller's wait is bounded (its budget): on expiry its promise rejects with a retriable error
 *   while the requests keep retrying, so a consumer batch never outlives its session.
 */
export class Dispatcher {
  private readonly queue: DeliveryQueue;
  private readonly reporting: DeliveryReporting;
  private readonly requests: SegmentRequests;
  private readonly abort = new AbortController();
  private inFlightRequests = 0;
  private inFlightEvents = 0;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private idle: Array<() => void> = [];

  constructor(
    transport: SegmentTransport,
    private readonly settings: DispatcherSettings,
    private readonly hooks: DispatcherHooks,
    observer: DispatcherObserver,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.queue = new DeliveryQueue(settings.limits, now);
    this.reporting = new DeliveryReporting(observer, now);
    this.requests = new SegmentRequests({
      transport,
      retry: settings.retry,
      rateLimitRps: settings.rateLimitRps,
      maxInFlight: settings.maxInFlight,
      reporting: this.reporting,
      logger,
      signal: this.abort.signal,
      now,
    });
  }

  /** Resolves when every item is delivered or dead-lettered; rejects (retriable) after budgetMs or on shutdown. */
  submit(items: readonly DeliveryItem[], budgetMs?: number): Promise<DeliveryReport> {
    if (this.closing) return Promise.reject(new ShuttingDown());
    return new Promise<DeliveryReport>((resolve, reject) => {
      const ticket = openTicket(resolve, reject);
      for (const item of items) {
        if (!this.queue.enqueue(item, ticket)) continue;
        ticket.report.coalesced += 1;
        this.reporting.coalesced();
      }
      if (ticket.remaining === 0) return settleTicket(ticket);
      if (budgetMs !== undefined) limitWait(ticket, budgetMs);
      this.pump();
    });
  }

  /** Dead-letters an event that cannot be sent at all (over the size limit, no ids), counted like a refusal. */
  async reject(item: DeliveryItem, reason: string): Promise<void> {
    await this.hooks.rejected(item, reason);
    this.reporting.deadLettered(item.call, 'unsendable');
  }

  status(): DispatcherStatus {
    return this.reporting.status({
      queuedEvents: this.queue.queuedEvents,
      inFlightEvents: this.inFlightEvents,
      inFlightRequests: this.inFlightRequests,
    });
  }

  /**
   * Stops taking events, lets requests in flight finish for up to drainMs (what is still queued
   * then is flushed too), then abandons the rest: their callers get a retriable error and their
   * consumer batches, uncommitted, are redelivered after the restart.
   */
  async close(drainMs: number): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.pump();
    if (this.queue.openEvents > 0) {
      await Promise.race([new Promise<void>((resolve) => this.idle.push(resolve)), sleep(drainMs, undefined, { ref: false })]);
    }
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.queue.abandonAll(() => new ShuttingDown());
  }

  /** Starts as many requests as slots allow; a partial batch waits for the flush interval. */
  private pump(): void {
    while (this.inFlightRequests < this.settings.maxInFlight && !this.abort.signal.aborted) {
      const oldest = this.queue.oldestEnqueuedAt();
      // A partial batch goes when nothing is in flight (waiting would only add latency: nobody is
      // being batched with), or once its oldest event waited the flush interval.
      const due =
        this.closing || this.inFlightRequests === 0 || (oldest !== undefined && this.now() - oldest >= this.settings.flushIntervalMs);
      const batch = this.queue.take(due);
      if (batch === null) break;
      this.launch(batch);
    }
    this.armTimer();
  }

  private armTimer(): void {
    const oldest = this.queue.oldestEnqueuedAt();
    if (this.timer !== null || oldest === undefined || this.closing) return;
    const wait = oldest + this.settings.flushIntervalMs - this.now();
    // Due already: the next request to finish pumps again.
    if (wait <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, wait);
    this.timer.unref();
  }

  private launch(batch: Entry[]): void {
    this.inFlightRequests += 1;
    this.inFlightEvents += batch.length;
    void this.deliver(batch).finally(() => {
      this.inFlightRequests -= 1;
      this.inFlightEvents -= batch.length;
      this.queue.release(batch);
      if (this.queue.openEvents === 0) for (const resolve of this.idle.splice(0)) resolve();
      this.pump();
    });
  }

  private async deliver(batch: Entry[]): Promise<void> {
    try {
      await deliverIsolatingRejects(batch, (entries) => this.requests.sendUntilFinal(entries.map((entry) => entry.item)), {
        delivered: (entries) => this.onDelivered(entries),
        rejected: (entry, detail) => this.onRejected(entry, detail),
      });
    } catch (error) {
      for (const entry of batch) if (this.queue.isOpen(entry)) this.queue.fail(entry, error);
    }
  }

  private async onDelivered(entries: Entry[]): Promise<void> {
    const items = entries.map((entry) => entry.item);
    try {
      await this.hooks.delivered(items);
    } catch (error) {
      this.logger.warn(
        'could not record delivered events; a redelivery will send them again (same messageIds)',
        describeError(error, { stack: false }),
      );
    }
    this.reporting.eventsDelivered(entries.length);
    for (const entry of entries) this.queue.complete(entry, 'delivered');
  }

  private async onRejected(entry: Entry, detail: string): Promise<void> {
    try {
      await this.hooks.rejected(entry.item, `Segment refused the event: ${detail}`);
    } catch (error) {
      // Not dead-lettered, not delivered: the callers retry, and the event is refused and dead-lettered again.
      this.logger.warn('could not dead-letter a refused event', describeError(error, { stack: false }));
      return this.queue.fail(entry, new RetriableError('could not dead-letter a refused event', { cause: error }));
    }
    this.reporting.deadLettered(entry.item.call, 'refused');
    this.queue.complete(entry, 'dead-lettered');
  }
}
