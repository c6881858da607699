import { setTimeout as sleep } from 'node:timers/promises';
import { TRACEPARENT_HEADER } from '@touchstream/contracts';
import { RetriableError } from '@touchstream/kafka';
import { describeError, type Logger } from '@touchstream/logging';
import {
  TokenBucket,
  deliverIsolatingRejects,
  judgeAnswer,
  judgeFailure,
  nextBatch,
  requestBodyBuffer,
  type BatchLimits,
  type RequestOutcome,
  type RetryPolicy,
  type RetryReason,
} from '@touchstream/segment-delivery';
import type { SegmentTransport } from '../segment/segment-transport';
import type { DeliveryItem, DeliveryOutcome, DeliveryReport } from './delivery-item';

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

export interface DispatcherObserver {
  requestAnswered(outcome: 'delivered' | 'rejected' | 'retry', seconds: number): void;
  batchDelivered(items: readonly DeliveryItem[], bytes: number): void;
  retried(reason: RetryReason): void;
  deadLettered(call: DeliveryItem['call'], cause: 'refused' | 'unsendable'): void;
  coalesced(count: number): void;
}

export interface DispatcherStatus {
  queuedEvents: number;
  inFlightEvents: number;
  inFlightRequests: number;
  sentEvents: number;
  sentBatches: number;
  sentBytes: number;
  retriedRequests: number;
  deadLettered: number;
  coalesced: number;
  lastError: { at: string; message: string } | null;
  lastDeliveredAt: string | null;
}

interface Ticket {
  remaining: number;
  report: DeliveryReport;
  settled: boolean;
  resolve: (report: DeliveryReport) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout | null;
}

interface Entry {
  item: DeliveryItem;
  tickets: Ticket[];
  enqueuedAt: number;
  state: 'queued' | 'in-flight';
}

class ShuttingDown extends RetriableError {
  constructor() {
    super('the segment sink is shutting down; the batch will be redelivered');
    this.name = 'ShuttingDown';
  }
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
 *   the same subject that is in flight, so Segment sees a subject's versions in order.
 * - The same messageId submitted again (a redelivered batch) joins the event already queued or
 *   in flight instead of being sent twice.
 * - Requests: at most SINK_MAX_IN_FLIGHT at once, paced by a token bucket (SINK_RATE_LIMIT_RPS);
 *   429 pauses everything for Retry-After; 5xx, timeouts and connection errors back off with
 *   jitter; a 400 splits the batch until the refused event stands alone (dead-lettered).
 * - A caller's wait is bounded (its budget): on expiry its promise rejects with a retriable error
 *   while the requests keep retrying, so a consumer batch never outlives its session.
 */
export class Dispatcher {
  private queue: Entry[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly queuedBySubject = new Map<string, Entry>();
  private readonly subjectsInFlight = new Map<string, number>();
  private readonly bucket: TokenBucket;
  private readonly abort = new AbortController();
  private inFlightRequests = 0;
  private inFlightEvents = 0;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private idle: Array<() => void> = [];
  private readonly counters = { sentEvents: 0, sentBatches: 0, sentBytes: 0, retriedRequests: 0, deadLettered: 0, coalesced: 0 };
  private lastError: DispatcherStatus['lastError'] = null;
  private lastDeliveredAt: string | null = null;

  constructor(
    private readonly transport: SegmentTransport,
    private readonly settings: DispatcherSettings,
    private readonly hooks: DispatcherHooks,
    private readonly observer: DispatcherObserver,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    // A one-second burst at most: Segment's limit is per second too.
    this.bucket = new TokenBucket(settings.rateLimitRps, Math.max(1, Math.min(settings.maxInFlight, Math.floor(settings.rateLimitRps))));
  }

  /** Resolves when every item is delivered or dead-lettered; rejects (retriable) after budgetMs or on shutdown. */
  submit(items: readonly DeliveryItem[], budgetMs?: number): Promise<DeliveryReport> {
    if (this.closing) return Promise.reject(new ShuttingDown());
    return new Promise<DeliveryReport>((resolve, reject) => {
      const ticket: Ticket = {
        remaining: 0,
        report: { delivered: 0, deadLettered: 0, coalesced: 0 },
        settled: false,
        resolve,
        reject,
        timer: null,
      };
      for (const item of items) this.enqueue(item, ticket);
      if (ticket.remaining === 0) return this.settle(ticket);
      if (budgetMs !== undefined) {
        ticket.timer = setTimeout(() => {
          this.fail(
            ticket,
            new RetriableError(`Segment delivery did not finish within ${budgetMs} ms; it goes on, and the batch will be retried`),
          );
        }, budgetMs);
        ticket.timer.unref();
      }
      this.pump();
    });
  }

  /** Dead-letters an event that cannot be sent at all (over the size limit, no ids), counted like a refusal. */
  async reject(item: DeliveryItem, reason: string): Promise<void> {
    await this.hooks.rejected(item, reason);
    this.counters.deadLettered += 1;
    this.observer.deadLettered(item.call, 'unsendable');
  }

  status(): DispatcherStatus {
    return {
      queuedEvents: this.queue.length,
      inFlightEvents: this.inFlightEvents,
      inFlightRequests: this.inFlightRequests,
      ...this.counters,
      lastError: this.lastError,
      lastDeliveredAt: this.lastDeliveredAt,
    };
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
    if (this.entries.size > 0) {
      await Promise.race([new Promise<void>((resolve) => this.idle.push(resolve)), sleep(drainMs, undefined, { ref: false })]);
    }
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    for (const entry of [...this.entries.values()]) this.failEntry(entry, new ShuttingDown());
    this.queue = [];
  }

  private enqueue(item: DeliveryItem, ticket: Ticket): void {
    const existing = this.entries.get(item.messageId);
    if (existing) return this.attach(existing, ticket);
    if (item.subjectKey !== null) {
      const waiting = this.queuedBySubject.get(item.subjectKey);
      if (waiting) {
        ticket.report.coalesced += 1;
        this.counters.coalesced += 1;
        this.observer.coalesced(1);
        if (item.version <= waiting.item.version) return this.attach(waiting, ticket);
        // The newer version takes the older one's place (and age) in the queue and its callers.
        const entry: Entry = { item, tickets: waiting.tickets, enqueuedAt: waiting.enqueuedAt, state: 'queued' };
        this.queue[this.queue.indexOf(waiting)] = entry;
        this.entries.delete(waiting.item.messageId);
        this.entries.set(item.messageId, entry);
        this.queuedBySubject.set(item.subjectKey, entry);
        return this.attach(entry, ticket);
      }
    }
    const entry: Entry = { item, tickets: [], enqueuedAt: this.now(), state: 'queued' };
    this.queue.push(entry);
    this.entries.set(item.messageId, entry);
    if (item.subjectKey !== null) this.queuedBySubject.set(item.subjectKey, entry);
    this.attach(entry, ticket);
  }

  private attach(entry: Entry, ticket: Ticket): void {
    entry.tickets.push(ticket);
    ticket.remaining += 1;
  }

  /** Starts as many requests as slots allow; a partial batch waits for the flush interval. */
  private pump(): void {
    while (this.inFlightRequests < this.settings.maxInFlight && !this.abort.signal.aborted) {
      const oldest = this.queue[0];
      // A partial batch goes when nothing is in flight (waiting would only add latency: nobody is
      // being batched with), or once its oldest event waited the flush interval.
      const due =
        this.closing ||
        this.inFlightRequests === 0 ||
        (oldest !== undefined && this.now() - oldest.enqueuedAt >= this.settings.flushIntervalMs);
      const batch = this.takeBatch(due);
      if (batch === null) break;
      this.launch(batch);
    }
    this.armTimer();
  }

  private armTimer(): void {
    const oldest = this.queue[0];
    if (this.timer !== null || oldest === undefined || this.closing) return;
    const wait = oldest.enqueuedAt + this.settings.flushIntervalMs - this.now();
    // Due already: the next request to finish pumps again.
    if (wait <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, wait);
    this.timer.unref();
  }

  /**
   * The next request from the queue, in order, skipping identifies whose subject is in flight:
   * null when nothing is eligible, or when the batch is not full and not yet due.
   */
  private takeBatch(due: boolean): Entry[] | null {
    const eligible: Entry[] = [];
    const sizes: number[] = [];
    const { maxBatchEvents, maxRequestBytes } = this.settings.limits;
    let bytes = 0;
    let full = false;
    for (const entry of this.queue) {
      const key = entry.item.subjectKey;
      if (key !== null && this.subjectsInFlight.has(key)) continue;
      eligible.push(entry);
      sizes.push(entry.item.bytes);
      bytes += entry.item.bytes + 1;
      if (eligible.length > maxBatchEvents || bytes > maxRequestBytes) {
        full = true;
        break;
      }
    }
    if (eligible.length === 0) return null;
    const range = nextBatch(sizes, 0, this.settings.limits);
    if (!full && range.end === eligible.length && !due) return null;
    const batch = eligible.slice(0, range.end);
    const taken = new Set(batch);
    this.queue = this.queue.filter((entry) => !taken.has(entry));
    for (const entry of batch) {
      entry.state = 'in-flight';
      const key = entry.item.subjectKey;
      if (key !== null) {
        if (this.queuedBySubject.get(key) === entry) this.queuedBySubject.delete(key);
        this.subjectsInFlight.set(key, (this.subjectsInFlight.get(key) ?? 0) + 1);
      }
    }
    return batch;
  }

  private launch(batch: Entry[]): void {
    this.inFlightRequests += 1;
    this.inFlightEvents += batch.length;
    void this.deliver(batch).finally(() => {
      this.inFlightRequests -= 1;
      this.inFlightEvents -= batch.length;
      for (const entry of batch) {
        const key = entry.item.subjectKey;
        if (key === null) continue;
        const count = (this.subjectsInFlight.get(key) ?? 1) - 1;
        if (count <= 0) this.subjectsInFlight.delete(key);
        else this.subjectsInFlight.set(key, count);
      }
      if (this.entries.size === 0) for (const resolve of this.idle.splice(0)) resolve();
      this.pump();
    });
  }

  private async deliver(batch: Entry[]): Promise<void> {
    try {
      await deliverIsolatingRejects(batch, (entries) => this.sendUntilFinal(entries), {
        delivered: (entries) => this.onDelivered(entries),
        rejected: (entry, detail) => this.onRejected(entry, detail),
      });
    } catch (error) {
      for (const entry of batch) if (this.entries.get(entry.item.messageId) === entry) this.failEntry(entry, error);
    }
  }

  /** One request, retried until Segment gives a final answer (2xx or a refusal), or shutdown. */
  private async sendUntilFinal(entries: Entry[]): Promise<RequestOutcome> {
    for (let attempt = 1; ; attempt += 1) {
      await this.waitForToken();
      const body = requestBodyBuffer(
        entries.map((entry) => entry.item),
        new Date(this.now()),
      );
      const bytes = body.length;
      const started = performance.now();
      // A batch holds many visits' calls: it continues the trace of its first (W3C allows one parent).
      const traceparent = entries[0]?.item.origin.headers[TRACEPARENT_HEADER];
      const links = () => entries.map((entry) => entry.item.origin.headers[TRACEPARENT_HEADER]);
      const result = await this.transport.post(body, { events: entries.length, bytes, traceparent, links });
      const seconds = (performance.now() - started) / 1000;
      const verdict =
        result.kind === 'answer'
          ? judgeAnswer(result, attempt, this.settings.retry, this.now())
          : judgeFailure(result.failure, result.message, attempt, this.settings.retry);
      if (verdict.kind === 'delivered') {
        this.observer.requestAnswered('delivered', seconds);
        this.counters.sentBatches += 1;
        this.counters.sentBytes += bytes;
        this.observer.batchDelivered(
          entries.map((entry) => entry.item),
          bytes,
        );
        return { kind: 'delivered' };
      }
      if (verdict.kind === 'rejected') {
        this.observer.requestAnswered('rejected', seconds);
        this.noteError(`Segment refused a batch of ${entries.length}: ${verdict.detail}`);
        return { kind: 'rejected', detail: verdict.detail };
      }
      this.observer.requestAnswered('retry', seconds);
      this.observer.retried(verdict.reason);
      this.counters.retriedRequests += 1;
      this.noteError(`${verdict.reason}: ${verdict.detail}`);
      this.logger.warn('Segment request failed; retrying', {
        reason: verdict.reason,
        detail: verdict.detail,
        attempt,
        waitMs: verdict.delayMs,
        events: entries.length,
      });
      if (verdict.pauseAll) this.bucket.pauseUntil(this.now() + verdict.delayMs);
      await this.pause(verdict.delayMs);
    }
  }

  private async waitForToken(): Promise<void> {
    const wait = this.bucket.reserve(this.now());
    if (wait > 0) await this.pause(wait);
    if (this.abort.signal.aborted) throw new ShuttingDown();
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.abort.signal });
    } catch {
      throw new ShuttingDown();
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
    this.counters.sentEvents += entries.length;
    this.lastDeliveredAt = new Date(this.now()).toISOString();
    for (const entry of entries) this.completeEntry(entry, 'delivered');
  }

  private async onRejected(entry: Entry, detail: string): Promise<void> {
    try {
      await this.hooks.rejected(entry.item, `Segment refused the event: ${detail}`);
    } catch (error) {
      // Not dead-lettered, not delivered: the callers retry, and the event is refused and dead-lettered again.
      this.logger.warn('could not dead-letter a refused event', describeError(error, { stack: false }));
      return this.failEntry(entry, new RetriableError('could not dead-letter a refused event', { cause: error }));
    }
    this.counters.deadLettered += 1;
    this.observer.deadLettered(entry.item.call, 'refused');
    this.completeEntry(entry, 'dead-lettered');
  }

  private completeEntry(entry: Entry, outcome: DeliveryOutcome): void {
    if (this.entries.get(entry.item.messageId) === entry) this.entries.delete(entry.item.messageId);
    for (const ticket of entry.tickets) {
      if (outcome === 'delivered') ticket.report.delivered += 1;
      else ticket.report.deadLettered += 1;
      ticket.remaining -= 1;
      if (ticket.remaining === 0) this.settle(ticket);
    }
  }

  private failEntry(entry: Entry, error: unknown): void {
    if (this.entries.get(entry.item.messageId) === entry) this.entries.delete(entry.item.messageId);
    const key = entry.item.subjectKey;
    if (key !== null && this.queuedBySubject.get(key) === entry) this.queuedBySubject.delete(key);
    for (const ticket of entry.tickets) this.fail(ticket, error);
  }

  private settle(ticket: Ticket): void {
    if (ticket.settled) return;
    ticket.settled = true;
    if (ticket.timer) clearTimeout(ticket.timer);
    ticket.resolve(ticket.report);
  }

  private fail(ticket: Ticket, error: unknown): void {
    if (ticket.settled) return;
    ticket.settled = true;
    if (ticket.timer) clearTimeout(ticket.timer);
    ticket.reject(error);
  }

  private noteError(message: string): void {
    this.lastError = { at: new Date(this.now()).toISOString(), message: message.slice(0, 500) };
  }
}
