import { Inject, Injectable } from '@nestjs/common';
import { BackfillFlusher } from '../projection/backfill-flusher';
import { Dispatcher, type DispatcherStatus } from '../delivery/dispatcher';
import { SINK_SETTINGS, type SinkSettings } from '../config';
import { MarkWriter } from '../projection/mark-writer';
import { SinkStore } from '../projection/sink.store';
import { SEGMENT_TRANSPORT, type SegmentTransport } from '../segment/segment-transport';

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
@Injectable()
export class SinkStatusService {
  private readonly since = new Date().toISOString();
  /** Where the batches go: Segment's URL, or the dry-run file. */
  private readonly target: string;

  constructor(
    @Inject(Dispatcher) private readonly dispatcher: Dispatcher,
    @Inject(SinkStore) private readonly store: SinkStore,
    @Inject(MarkWriter) private readonly marks: MarkWriter,
    @Inject(SINK_SETTINGS) private readonly settings: SinkSettings,
    @Inject(SEGMENT_TRANSPORT) transport: SegmentTransport,
    /** Null in live mode (a backfill only has one). */
    @Inject(BackfillFlusher) private readonly flusher: BackfillFlusher | null,
  ) {
    this.target = transport.description;
  }

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
