import type { DataSource, EntityManager } from 'typeorm';
import { backoffDelay, DEAD_LETTER_HEADERS } from '@touchstream/contracts';
import { quoteIdent } from '@touchstream/database';
import { delay, RecordRefusedError, type EventProducer, type OutgoingMessage } from '@touchstream/kafka';
import { describeError, type Logger } from '@touchstream/logging';
import { decodeOutboxRow, rowFields, type OutboxEvent, type StoredOutboxRow } from './outbox-batch';

export interface OutboxRelayOptions {
  schema: string;
  /** Events published per round trip (whole rows: at least one row, however many events it holds). */
  batchSize?: number;
  /** How often an idle relay looks for rows nobody told it about (another instance's, a restart's). */
  idlePollMs?: number;
  /**
   * 0 (the default): a row is deleted in the transaction that saw the broker acknowledge it.
   * More: it is marked sent and deleted this long after, to look at what was published (tests
   * read them as the record of what a service emitted). Marking costs Postgres about 7x what
   * deleting does (a non-HOT update: sent_at is in outbox_unsent's predicate), and the rows kept
   * through a backfill make the table many times its working size.
   */
  keepSentMs?: number;
  /**
   * Publishes the dead-letter record of a row the broker refused (the row itself moves to
   * outbox_dead_letters). outboxDeadLetters() (outbox-dead-letters.ts) is the services' one.
   */
  publishDeadLetter: (message: OutgoingMessage) => Promise<void>;
  onPublished?: (count: number) => void;
  onDeadLettered?: (count: number) => void;
}

/** One event of a row read: the payload is published as the text it was stored as, unparsed. */
interface PendingEvent extends OutboxEvent {
  seq: string;
  /** Its place in its row. */
  index: number;
  createdAt: Date;
}

const MAX_REASON_LENGTH = 1_000;

/**
 * Publishes outbox rows in commit order and deletes them (or marks them sent, see keepSentMs).
 * One relay per schema publishes at a time (a transaction-scoped advisory lock), which keeps
 * per-key order across instances. A row is deleted or marked only in the transaction that saw
 * the broker acknowledge it, so a crash re-publishes, never loses; consumers recognise the
 * re-publish by the event's deterministic id.
 */
export class OutboxRelay {
  private readonly table: string;
  private readonly deadLetterTable: string;
  private readonly lockKey: string;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private lastCleanup = 0;
  private failures = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: EventProducer,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions,
  ) {
    this.table = `${quoteIdent(options.schema)}.outbox`;
    this.deadLetterTable = `${quoteIdent(options.schema)}.outbox_dead_letters`;
    this.lockKey = `touchstream.outbox.${options.schema}`;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Called after a transaction that wrote outbox rows commits: publish now, not at the next poll. */
  notify(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** Events written but not yet acknowledged by the broker. */
  async pending(): Promise<number> {
    const rows: Array<{ count: string }> = await this.dataSource.query(
      `SELECT coalesce(sum(event_count), 0)::text AS count FROM ${this.table} WHERE sent_at IS NULL`,
    );
    return Number(rows[0]?.count ?? 0);
  }

  /** Publishes everything pending now; returns how many events were sent. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.publishBatch();
      total += sent;
      if (sent === 0) return total;
    }
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const sent = await this.publishBatch();
        this.failures = 0;
        await this.cleanupIfDue();
        if (sent > 0) continue;
        await this.sleep(this.options.idlePollMs ?? 250);
      } catch (error) {
        this.failures += 1;
        const wait = backoffDelay(this.failures, { initialMs: 100, maxMs: 10_000, factor: 2 });
        this.logger.warn('outbox relay failed; retrying', {
          attempt: this.failures,
          waitMs: wait,
          ...describeError(error, { stack: false }),
        });
        await delay(wait, this.abort.signal);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async publishBatch(): Promise<number> {
    return this.dataSource.transaction(async (transaction) => {
      const locked: Array<{ locked: boolean }> = await transaction.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [
        this.lockKey,
      ]);
      const lock = locked[0];
      if (!lock?.locked) return 0;
      const rows: Array<Omit<StoredOutboxRow, 'sent'>> = await transaction.query(
        // Whole rows, in seq order, until batchSize events: the running sum stops the read, so a
        // backlog of large rows is not read at once. ORDER BY the column (o.seq), not a text
        // alias: sorting "10" before "9" broke commit order.
        `SELECT w.seq::text AS seq, w.event_count, w.events, w.payloads, w.created_at FROM (
           SELECT o.seq, o.event_count, o.events, o.payloads, o.created_at,
                  sum(o.event_count) OVER (ORDER BY o.seq) - o.event_count AS before
           FROM ${this.table} AS o WHERE o.sent_at IS NULL ORDER BY o.seq LIMIT $1) AS w
         WHERE w.before < $1 ORDER BY w.seq`,
        [this.options.batchSize ?? 2_000],
      );
      if (rows.length === 0) return 0;
      const events = rows.flatMap((row) =>
        decodeOutboxRow(rowFields(row)).map((event, index) => ({ ...event, seq: row.seq, index, createdAt: row.created_at })),
      );
      const byTopic = new Map<string, PendingEvent[]>();
      for (const event of events) {
        const list = byTopic.get(event.topic) ?? [];
        list.push(event);
        byTopic.set(event.topic, list);
      }
      const eventOf = new Map<OutgoingMessage, PendingEvent>();
      const outcomes = await Promise.allSettled(
        [...byTopic].map(([topic, list]) =>
          this.producer.send(
            topic,
            list.map((event) => {
              const message = messageOf(event);
              eventOf.set(message, event);
              return message;
            }),
          ),
        ),
      );
      const failure = outcomes.find((outcome) => outcome.status === 'rejected' && !(outcome.reason instanceof RecordRefusedError));
      if (failure) throw (failure as PromiseRejectedResult).reason;
      // The refused requests' events, in commit order (the order they were read in); the rest were acknowledged.
      const refusedEvents = new Set(
        outcomes
          .flatMap((outcome) => (outcome.status === 'rejected' ? (outcome.reason as RecordRefusedError).messages : []))
          .map((message) => eventOf.get(message)),
      );
      const refused = events.filter((event) => refusedEvents.has(event));
      const setAside = await this.publishOneByOne(refused, transaction);
      // Every event of the rows read is now acknowledged or in outbox_dead_letters: the rows are done.
      const seqs = rows.map((row) => row.seq);
      if (this.keepsSent) await transaction.query(`UPDATE ${this.table} SET sent_at = now() WHERE seq = ANY($1::bigint[])`, [seqs]);
      else await transaction.query(`DELETE FROM ${this.table} WHERE seq = ANY($1::bigint[])`, [seqs]);
      this.options.onPublished?.(events.length - setAside);
      return events.length;
    });
  }

  /**
   * A request the broker refused does not say which of its records was at fault: send its events
   * one at a time, in order, and set aside each one refused on its own. Returns how many were set
   * aside; the rest are acknowledged now.
   */
  private async publishOneByOne(events: readonly PendingEvent[], transaction: EntityManager): Promise<number> {
    let setAside = 0;
    for (const event of events) {
      try {
        await this.producer.send(event.topic, [messageOf(event)]);
      } catch (error) {
        if (!(error instanceof RecordRefusedError)) throw error;
        await this.deadLetter(event, error, transaction);
        setAside += 1;
      }
    }
    return setAside;
  }

  /**
   * Copies a refused event to outbox_dead_letters with the broker's reason and publishes a
   * dead-letter record that points to it (key and headers of the event; no payload, which the
   * broker may refuse again). Both happen before the transaction that deletes its row commits: a
   * crash in between leaves the row in the outbox, the event refused again on the next attempt,
   * and the record sent twice (the copy is written once: its key is the row's seq and the event's
   * place in it).
   */
  private async deadLetter(event: PendingEvent, error: RecordRefusedError, transaction: EntityManager): Promise<void> {
    const reason = error.message.slice(0, MAX_REASON_LENGTH);
    await this.options.publishDeadLetter({
      key: event.key,
      value: '',
      headers: {
        ...event.headers,
        [DEAD_LETTER_HEADERS.reason]: reason,
        [DEAD_LETTER_HEADERS.errorName]: error.name,
        [DEAD_LETTER_HEADERS.sourceTopic]: event.topic,
        [DEAD_LETTER_HEADERS.outboxSeq]: event.seq,
        [DEAD_LETTER_HEADERS.outboxEventIndex]: String(event.index),
        [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
      },
    });
    await transaction.query(
      `INSERT INTO ${this.deadLetterTable} (seq, event_index, event_id, topic, message_key, payload, headers, created_at, reason)
       VALUES ($1, $2, $3, $4, $5, $6::json, $7::jsonb, $8, $9) ON CONFLICT (seq, event_index) DO NOTHING`,
      [
        event.seq,
        event.index,
        event.eventId,
        event.topic,
        event.key,
        event.payload,
        JSON.stringify(event.headers),
        event.createdAt,
        reason,
      ],
    );
    this.logger.error('outbox event refused by the broker; copied to outbox_dead_letters', {
      seq: event.seq,
      eventIndex: event.index,
      eventId: event.eventId,
      topic: event.topic,
      bytes: Buffer.byteLength(event.payload),
      reason,
    });
    this.options.onDeadLettered?.(1);
  }

  private get keepsSent(): boolean {
    return (this.options.keepSentMs ?? 0) > 0;
  }

  private async cleanupIfDue(): Promise<void> {
    if (!this.keepsSent) return;
    const now = Date.now();
    if (now - this.lastCleanup < 60_000) return;
    this.lastCleanup = now;
    const keepMs = this.options.keepSentMs ?? 0;
    await this.dataSource.query(
      `DELETE FROM ${this.table} WHERE sent_at IS NOT NULL AND sent_at < now() - ($1::bigint * interval '1 millisecond')`,
      [keepMs],
    );
  }
}

function messageOf(event: PendingEvent): OutgoingMessage {
  return { key: event.key, value: event.payload, headers: event.headers };
}
