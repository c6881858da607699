import { caughtUp, decideFlush, subjectKey, type PartitionProgress } from '@touchstream/segment-delivery';
import { describeError, type Logger } from '@touchstream/logging';
import { storedOrigin } from '../domain/delivery-item';
import type { MarkWriter } from './mark-writer';
import type { SinkStore } from './sink.store';
import type { StreamHandler } from './stream-handler';

const PAGE_SIZE = 1_000;
/** With no batch seen at all, how long after start the consumer is taken to be at the end of its topics. */
const NOTHING_TO_READ_AFTER_MS = 30_000;

/**
 * Backfill mode: identifies are not sent from the stream. Facts are stored as they go by; once
 * the consumer has caught up (every partition at its high watermark, nothing committed for a
 * quiet period), each subject with an unhandled version gets one identify with its newest state.
 * New facts after that are flushed the same way at the next catch-up.
 */
export class BackfillFlusher {
  private readonly progress = new Map<string, PartitionProgress>();
  private readonly startedAt: number;
  private commitsSinceLastPass = 1;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Dry runs record nothing in Postgres: what was flushed is remembered here instead. */
  private readonly flushedInDryRun = new Map<string, number>();

  constructor(
    private readonly store: SinkStore,
    private readonly marks: MarkWriter,
    private readonly handler: StreamHandler,
    private readonly logger: Logger,
    private readonly options: { quietMs: number; dryRun: boolean; factsTopic: string; now?: () => number },
  ) {
    this.startedAt = this.now();
  }

  batchCommitted(info: { topic: string; partition: number; lastOffset: string; highWatermark: string }): void {
    this.progress.set(`${info.topic}\u0000${info.partition}`, {
      lastOffset: BigInt(info.lastOffset),
      highWatermark: BigInt(info.highWatermark),
      committedAtMs: this.now(),
    });
    this.commitsSinceLastPass += 1;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), Math.max(100, Math.floor(this.options.quietMs / 2)));
    this.timer.unref();
  }

  /** No new pass or page from now on; `finished` resolves when a pass in progress has ended. */
  stop(): { finished: Promise<void> } {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    return { finished: this.running ?? Promise.resolve() };
  }

  /** Whether a flush pass may run now (exposed for the status endpoint). */
  isCaughtUp(): boolean {
    const now = this.now();
    if (this.progress.size === 0 && now - this.startedAt < NOTHING_TO_READ_AFTER_MS) return false;
    return caughtUp(this.progress.values(), now, this.options.quietMs);
  }

  private tick(): void {
    if (this.running || this.stopped || this.commitsSinceLastPass === 0 || !this.isCaughtUp()) return;
    this.commitsSinceLastPass = 0;
    this.running = this.pass()
      .catch((error: unknown) => {
        this.commitsSinceLastPass += 1;
        this.logger.warn('backfill flush failed; it runs again at the next tick', describeError(error, { stack: false }));
      })
      .finally(() => {
        this.running = null;
      });
  }

  private async pass(): Promise<void> {
    let after: { subjectType: string; subjectId: string } | null = null;
    let delivered = 0;
    for (;;) {
      if (this.stopped) return;
      const page = await this.store.pendingFacts(PAGE_SIZE, after);
      if (page.length === 0) break;
      const last = page[page.length - 1]?.fact.data;
      after = last ? { subjectType: last.subjectType, subjectId: last.subjectId } : null;
      const fresh = page.filter(
        ({ fact }) =>
          !this.options.dryRun ||
          (this.flushedInDryRun.get(subjectKey(fact.data.subjectType, fact.data.subjectId)) ?? 0) < fact.data.version,
      );
      const states = new Map(fresh.map(({ fact, state }) => [subjectKey(fact.data.subjectType, fact.data.subjectId), state]));
      const origins = fresh.map(({ fact }) => ({ fact, origin: storedOrigin(this.options.factsTopic, fact, fact.data.subjectId) }));
      const report = await this.handler.identify(origins, states, decideFlush);
      delivered += report.delivered;
      if (this.options.dryRun)
        for (const { fact } of fresh) this.flushedInDryRun.set(subjectKey(fact.data.subjectType, fact.data.subjectId), fact.data.version);
    }
    // The next pass reads what is pending from Postgres: the marks of this one must be there.
    await this.marks.drain();
    if (delivered > 0) this.logger.info('backfill flush: final state identified', { identifies: delivered });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
