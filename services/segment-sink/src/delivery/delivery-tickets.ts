import { RetriableError } from '@touchstream/kafka';
import type { DeliveryReport } from '../domain/delivery-item';

/**
 * One submit's wait: its promise settles once each of its events was delivered or dead-lettered
 * (`remaining` reaches 0), or rejects on expiry or shutdown; whichever comes first wins.
 */
export interface Ticket {
  remaining: number;
  report: DeliveryReport;
  settled: boolean;
  resolve: (report: DeliveryReport) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout | null;
}

/** Retriable, so that the consumer batch that waits for it is redelivered rather than lost. */
export class ShuttingDown extends RetriableError {
  constructor() {
    super('the segment sink is shutting down; the batch will be redelivered');
    this.name = 'ShuttingDown';
  }
}

export function openTicket(resolve: Ticket['resolve'], reject: Ticket['reject']): Ticket {
  return { remaining: 0, report: { delivered: 0, deadLettered: 0, coalesced: 0 }, settled: false, resolve, reject, timer: null };
}

/**
 * Bounds the caller's wait: after budgetMs its promise rejects with a retriable error while its
 * events keep being retried, so a consumer batch never outlives its session.
 */
export function limitWait(ticket: Ticket, budgetMs: number): void {
  ticket.timer = setTimeout(() => {
    failTicket(
      ticket,
      new RetriableError(`Segment delivery did not finish within ${budgetMs} ms; it goes on, and the batch will be retried`),
    );
  }, budgetMs);
  ticket.timer.unref();
}

export function settleTicket(ticket: Ticket): void {
  if (ticket.settled) return;
  ticket.settled = true;
  if (ticket.timer) clearTimeout(ticket.timer);
  ticket.resolve(ticket.report);
}

export function failTicket(ticket: Ticket, error: unknown): void {
  if (ticket.settled) return;
  ticket.settled = true;
  if (ticket.timer) clearTimeout(ticket.timer);
  ticket.reject(error);
}
