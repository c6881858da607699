import { nextBatch, type BatchLimits } from '@touchstream/segment-delivery';
import type { DeliveryItem, DeliveryOutcome } from '../domain/delivery-item';
import { failTicket, settleTicket, type Ticket } from './delivery-tickets';

/** One event the dispatcher holds until it is delivered or dead-lettered, and the callers waiting for it. */
export interface Entry {
  item: DeliveryItem;
  tickets: Ticket[];
  enqueuedAt: number;
  state: 'queued' | 'in-flight';
}

/**
 * The dispatcher's events from submit to their final answer: the queue in submission order, every
 * open event by messageId (so a redelivered event joins the one already held), the queued identify
 * per subject (so a newer version replaces it) and the subjects with an identify in flight (so a
 * subject's versions reach Segment in order).
 */
export class DeliveryQueue {
  private queue: Entry[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly queuedBySubject = new Map<string, Entry>();
  private readonly subjectsInFlight = new Map<string, number>();

  constructor(
    private readonly limits: BatchLimits,
    private readonly now: () => number,
  ) {}

  /** Events waiting for a request. */
  get queuedEvents(): number {
    return this.queue.length;
  }

  /** Events queued or in flight: 0 once every submitted event has its final answer. */
  get openEvents(): number {
    return this.entries.size;
  }

  /** When the event first in line was queued; undefined when the queue is empty. */
  oldestEnqueuedAt(): number | undefined {
    return this.queue[0]?.enqueuedAt;
  }

  /**
   * Adds the item for the ticket's caller; true when it coalesced with a queued identify of the
   * same subject (the newer version is what goes, and answers both callers).
   */
  enqueue(item: DeliveryItem, ticket: Ticket): boolean {
    const existing = this.entries.get(item.messageId);
    if (existing) {
      attach(existing, ticket);
      return false;
    }
    const waiting = item.subjectKey === null ? undefined : this.queuedBySubject.get(item.subjectKey);
    if (waiting) {
      attach(item.version <= waiting.item.version ? waiting : this.replace(waiting, item), ticket);
      return true;
    }
    const entry: Entry = { item, tickets: [], enqueuedAt: this.now(), state: 'queued' };
    this.queue.push(entry);
    this.entries.set(item.messageId, entry);
    if (item.subjectKey !== null) this.queuedBySubject.set(item.subjectKey, entry);
    attach(entry, ticket);
    return false;
  }

  /** The newer version takes the older one's place (and age) in the queue and its callers. */
  private replace(waiting: Entry, item: DeliveryItem): Entry {
    const entry: Entry = { item, tickets: waiting.tickets, enqueuedAt: waiting.enqueuedAt, state: 'queued' };
    this.queue[this.queue.indexOf(waiting)] = entry;
    this.entries.delete(waiting.item.messageId);
    this.entries.set(item.messageId, entry);
    if (item.subjectKey !== null) this.queuedBySubject.set(item.subjectKey, entry);
    return entry;
  }

  /**
   * The next request from the queue, in order, skipping identifies whose subject is in flight:
   * null when nothing is eligible, or when the batch is not full and not yet due. What it returns
   * is in flight until `release`.
   */
  take(due: boolean): Entry[] | null {
    const eligible: Entry[] = [];
    const sizes: number[] = [];
    const { maxBatchEvents, maxRequestBytes } = this.limits;
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
    const range = nextBatch(sizes, 0, this.limits);
    if (!full && range.end === eligible.length && !due) return null;
    const batch = eligible.slice(0, range.end);
    this.markInFlight(batch);
    return batch;
  }

  private markInFlight(batch: Entry[]): void {
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
  }

  /** The batch's request is over: its subjects may go again. */
  release(batch: readonly Entry[]): void {
    for (const entry of batch) {
      const key = entry.item.subjectKey;
      if (key === null) continue;
      const count = (this.subjectsInFlight.get(key) ?? 1) - 1;
      if (count <= 0) this.subjectsInFlight.delete(key);
      else this.subjectsInFlight.set(key, count);
    }
  }

  /** Whether the entry is still the one held for its messageId (it has no final answer yet). */
  isOpen(entry: Entry): boolean {
    return this.entries.get(entry.item.messageId) === entry;
  }

  /** The event's final answer: each of its callers counts it, and those with nothing else open settle. */
  complete(entry: Entry, outcome: DeliveryOutcome): void {
    if (this.isOpen(entry)) this.entries.delete(entry.item.messageId);
    for (const ticket of entry.tickets) {
      if (outcome === 'delivered') ticket.report.delivered += 1;
      else ticket.report.deadLettered += 1;
      ticket.remaining -= 1;
      if (ticket.remaining === 0) settleTicket(ticket);
    }
  }

  /** Gives the event up: its callers get the error (their batches are redelivered). */
  fail(entry: Entry, error: unknown): void {
    if (this.isOpen(entry)) this.entries.delete(entry.item.messageId);
    const key = entry.item.subjectKey;
    if (key !== null && this.queuedBySubject.get(key) === entry) this.queuedBySubject.delete(key);
    for (const ticket of entry.tickets) failTicket(ticket, error);
  }

  /** Gives up every open event, each with an error of its own, and empties the queue. */
  abandonAll(error: () => unknown): void {
    for (const entry of [...this.entries.values()]) this.fail(entry, error());
    this.queue = [];
  }
}

function attach(entry: Entry, ticket: Ticket): void {
  entry.tickets.push(ticket);
  ticket.remaining += 1;
}
