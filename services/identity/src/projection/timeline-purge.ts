import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { describeError, Logger } from '@touchstream/logging';
import { IDENTITY_CONFIG, type IdentityConfig } from '../config';
import { IdentityMetrics } from './identity.metrics';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows deleted per statement, so a large purge never holds long locks. */
const PURGE_CHUNK = 10_000;

/**
 * Keeps the debugging timeline bounded: every IDENTITY_TIMELINE_PURGE_INTERVAL_MINUTES (and once
 * at boot) it deletes entries whose event time is older than IDENTITY_TIMELINE_RETENTION_DAYS.
 * The consumer does not write entries older than that either, so a replay does not refill it.
 * Several instances may purge at once: deletes are idempotent.
 */
@Injectable()
export class TimelinePurge implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  now: () => Date = () => new Date();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Logger) private readonly logger: Logger,
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(IdentityMetrics) private readonly metrics: IdentityMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runInBackground(), this.config.IDENTITY_TIMELINE_PURGE_INTERVAL_MINUTES * 60_000);
    this.timer.unref();
    void this.runInBackground();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Deletes expired entries now; returns how many. */
  async purge(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.config.IDENTITY_TIMELINE_RETENTION_DAYS * DAY_MS);
    const table = `${quoteIdent(this.config.IDENTITY_DB_SCHEMA)}.timeline`;
    let total = 0;
    for (;;) {
      const rows: Array<{ deleted: number }> = await this.dataSource.query(
        `WITH gone AS (
           DELETE FROM ${table} WHERE message_id IN (SELECT message_id FROM ${table} WHERE ts < $1 LIMIT ${PURGE_CHUNK}) RETURNING 1
         ) SELECT count(*)::int AS deleted FROM gone`,
        [cutoff.toISOString()],
      );
      const deleted = rows[0]?.deleted ?? 0;
      total += deleted;
      if (deleted < PURGE_CHUNK) break;
    }
    this.metrics.purged.inc(total);
    return total;
  }

  private async runInBackground(): Promise<void> {
    if (this.running) return;
    this.running = this.purge();
    try {
      const rows = await this.running;
      if (rows > 0) this.logger.info('timeline entries past retention purged', { rows });
    } catch (error) {
      this.logger.warn('timeline purge failed; will retry at the next interval', describeError(error, { stack: false }));
    } finally {
      this.running = undefined;
    }
  }
}
