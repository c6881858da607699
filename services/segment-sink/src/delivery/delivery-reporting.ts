import type { RetryReason } from '@touchstream/segment-delivery';
import type { DeliveryItem } from '../domain/delivery-item';

/** What the dispatcher tells as it goes (the sink's metrics). */
export interface DispatcherObserver {
  requestAnswered(outcome: 'delivered' | 'rejected' | 'retry', seconds: number): void;
  batchDelivered(items: readonly DeliveryItem[], bytes: number): void;
  retried(reason: RetryReason): void;
  deadLettered(call: DeliveryItem['call'], cause: 'refused' | 'unsendable'): void;
  coalesced(count: number): void;
}

/** What the dispatcher did since boot and holds now (GET /segment/status, the status gauges). */
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

/** How much the dispatcher holds at the moment, which only its loop knows. */
export type DispatcherLoad = Pick<DispatcherStatus, 'queuedEvents' | 'inFlightEvents' | 'inFlightRequests'>;

/**
 * The dispatcher's account of what happened: each event is told to the observer and counted for
 * the status in one place, so the metrics and the status page cannot disagree.
 */
export class DeliveryReporting {
  private readonly counters = { sentEvents: 0, sentBatches: 0, sentBytes: 0, retriedRequests: 0, deadLettered: 0, coalesced: 0 };
  private lastError: DispatcherStatus['lastError'] = null;
  private lastDeliveredAt: string | null = null;

  constructor(
    private readonly observer: DispatcherObserver,
    private readonly now: () => number,
  ) {}

  coalesced(): void {
    this.counters.coalesced += 1;
    this.observer.coalesced(1);
  }

  deadLettered(call: DeliveryItem['call'], cause: 'refused' | 'unsendable'): void {
    this.counters.deadLettered += 1;
    this.observer.deadLettered(call, cause);
  }

  requestDelivered(items: readonly DeliveryItem[], bytes: number, seconds: number): void {
    this.observer.requestAnswered('delivered', seconds);
    this.counters.sentBatches += 1;
    this.counters.sentBytes += bytes;
    this.observer.batchDelivered(items, bytes);
  }

  requestRefused(events: number, detail: string, seconds: number): void {
    this.observer.requestAnswered('rejected', seconds);
    this.noteError(`Segment refused a batch of ${events}: ${detail}`);
  }

  requestRetried(reason: RetryReason, detail: string, seconds: number): void {
    this.observer.requestAnswered('retry', seconds);
    this.observer.retried(reason);
    this.counters.retriedRequests += 1;
    this.noteError(`${reason}: ${detail}`);
  }

  /** Segment took these events and the sink recorded it (or tried to). */
  eventsDelivered(count: number): void {
    this.counters.sentEvents += count;
    this.lastDeliveredAt = new Date(this.now()).toISOString();
  }

  status(load: DispatcherLoad): DispatcherStatus {
    return { ...load, ...this.counters, lastError: this.lastError, lastDeliveredAt: this.lastDeliveredAt };
  }

  private noteError(message: string): void {
    this.lastError = { at: new Date(this.now()).toISOString(), message: message.slice(0, 500) };
  }
}
