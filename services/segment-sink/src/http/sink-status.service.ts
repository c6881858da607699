import type { BackfillFlusher } from '../projection/backfill-flusher';
import type { Dispatcher, DispatcherStatus } from '../delivery/dispatcher';
import type { SinkSettings } from '../sink-settings';
import type { MarkWriter } from '../projection/mark-writer';
import type { SinkStore } from '../projection/sink.store';

export interface SinkStatus {
  mode: 'live' | 'backfill';
  dryRun: boolean;
  target: string;
  consumerGroup: string;
  since: string;
  queued: number;
  inFlight: { events: number; requests: number };
  sent: { events: number; batches: number; bytes: number };
  retried: number;
  deadLettered: number;
  coalesced: number;
  lastError: DispatcherStatus['lastError'];
  lastDeliveredAt: string | null;
  /** Subjects whose newest fact is not handled yet (backfill: waiting for the flush). */
  pendingIdentifies: number;
  /** Handled events whose record in Postgres is not written yet. */
  marksPending: number;
  /** Handled events whose record was given up since boot (no fact row, or dropped at shutdown). */
  marksLost: number;
  backfillCaughtUp: boolean | null;
}

/** GET /segment/status: the dispatcher's counters since boot, and what Postgres says is pending. */
export class SinkStatusService {
  private readonly since = new Date().toISOString();

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly store: SinkStore,
    private readonly marks: MarkWriter,
    private readonly settings: SinkSettings,
    private readonly target: string,
    private readonly flusher: BackfillFlusher | null,
  ) {}

  async status(): Promise<SinkStatus> {
    const current = this.dispatcher.status();
    return {
      mode: this.settings.decisions.mode,
      dryRun: this.settings.dryRun,
      target: this.target,
      consumerGroup: this.settings.consumerGroup,
      since: this.since,
      queued: current.queuedEvents,
      inFlight: { events: current.inFlightEvents, requests: current.inFlightRequests },
      sent: { events: current.sentEvents, batches: current.sentBatches, bytes: current.sentBytes },
      retried: current.retriedRequests,
      deadLettered: current.deadLettered,
      coalesced: current.coalesced,
      lastError: current.lastError,
      lastDeliveredAt: current.lastDeliveredAt,
      pendingIdentifies: await this.store.pendingCount(),
      marksPending: this.marks.pending(),
      marksLost: this.marks.lost(),
      backfillCaughtUp: this.flusher ? this.flusher.isCaughtUp() : null,
    };
  }
}
