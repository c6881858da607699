import type { DataSource, EntityManager } from 'typeorm';
import { DEAD_LETTER_HEADERS } from '@touchstream/contracts';
import { quoteIdent } from '@touchstream/database';
import { backoffDelay, delay, RecordRefusedError, type EventProducer, type OutgoingMessage } from '@touchstream/kafka';
import { describeError, type Logger } from '@touchstream/logging';

export interface OutboxRelayOptions {
  schema: string;
  /** Rows published per round trip. */
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
   * outbox_dead_letters). outboxDeadLetters() in outbox.module.ts is the services' one.
   */
  publishDeadLetter: (message: OutgoingMessage) => Promise<void>;
  onPublished?: (count: number) => void;
  onDeadLettered?: (count: number) => void;
}

interface OutboxRecord {
  seq: string;
  topic: string;
  message_key: string | null;
  /** As text: it is published as it is, so parsing it here only to serialise it again is waste. */
  payload: string;
  headers: Record<string, string>;
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

  /** Rows written but not yet acknowledged by the broker. */
  async pending(): Promise<number> {
    const rows: Array<{ count: string }> = await this.dataSource.query(
      `SELECT count(*)::text AS count FROM ${this.table} WHERE sent_at IS NULL`,
    );
    return Number(rows[0]?.count ?? 0);
  }

  /** Publishes everything pending now; returns how many rows were sent. */
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
      const rows: OutboxRecord[] = await transaction.query(
        // ORDER BY the column (o.seq), not the text alias: sorting "10" before "9" broke commit
        // order, and a sort can't use outbox_unsent, so each batch read every row ever kept.
        `SELECT o.seq::text AS seq, o.topic, o.message_key, o.payload::text AS payload, o.headers FROM ${this.table} AS o
         WHERE o.sent_at IS NULL ORDER BY o.seq LIMIT $1`,
        [this.options.batchSize ?? 2_000],
      );
      if (rows.length === 0) return 0;
      const byTopic = new Map<string, OutboxRecord[]>();
      for (const row of rows) {
        const list = byTopic.get(row.topic) ?? [];
        list.push(row);
        byTopic.set(row.topic, list);
      }
      const rowOf = new Map<OutgoingMessage, OutboxRecord>();
      const outcomes = await Promise.allSettled(
        [...byTopic].map(([topic, list]) =>
          this.producer.send(
            topic,
            list.map((row) => {
              const message = messageOf(row);
              rowOf.set(message, row);
              return message;
            }),
          ),
        ),
      );
      const failure = outcomes.find((outcome) => outcome.status === 'rejected' && !(outcome.reason instanceof RecordRefusedError));
      if (failure) throw (failure as PromiseRejectedResult).reason;
      // The refused requests' rows, in seq order; the rest were acknowledged.
      const refused = outcomes
        .flatMap((outcome) => (outcome.status === 'rejected' ? (outcome.reason as RecordRefusedError).messages : []))
        .map((message) => rowOf.get(message) as OutboxRecord)
        .sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
      const setAside = new Set(await this.publishOneByOne(refused, transaction));
      const published = rows.filter((row) => !setAside.has(row.seq)).map((row) => row.seq);
      if (this.keepsSent) await transaction.query(`UPDATE ${this.table} SET sent_at = now() WHERE seq = ANY($1::bigint[])`, [published]);
      else await transaction.query(`DELETE FROM ${this.table} WHERE seq = ANY($1::bigint[])`, [published]);
      this.options.onPublished?.(published.length);
      return rows.length;
    });
  }

  /**
   * A request the broker refused does not say which of its records was at fault: send its rows
   * one at a time, in order, and set aside each one refused on its own. Returns the seqs set
   * aside; the rest are acknowledged now.
   */
  private async publishOneByOne(rows: readonly OutboxRecord[], transaction: EntityManager): Promise<string[]> {
    const setAside: string[] = [];
    for (const row of rows) {
      try {
        await this.producer.send(row.topic, [messageOf(row)]);
      } catch (error) {
        if (!(error instanceof RecordRefusedError)) throw error;
        await this.deadLetter(row, error, transaction);
        setAside.push(row.seq);
      }
    }
    return setAside;
  }

  /**
   * Moves a refused row to outbox_dead_letters with the broker's reason and publishes a
   * dead-letter record that points to it (key and headers of the row; no payload, which the
   * broker may refuse again). Both happen before the transaction commits: a crash in between
   * leaves the row in the outbox, refused again on the next attempt, and the record sent twice.
   */
  private async deadLetter(row: OutboxRecord, error: RecordRefusedError, transaction: EntityManager): Promise<void> {
    const reason = error.message.slice(0, MAX_REASON_LENGTH);
    await this.options.publishDeadLetter({
      key: row.message_key,
      value: '',
      headers: {
        ...row.headers,
        [DEAD_LETTER_HEADERS.reason]: reason,
        [DEAD_LETTER_HEADERS.errorName]: error.name,
        [DEAD_LETTER_HEADERS.sourceTopic]: row.topic,
        [DEAD_LETTER_HEADERS.outboxSeq]: row.seq,
        [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
      },
    });
    await transaction.query(
      `WITH moved AS (DELETE FROM ${this.table} WHERE seq = $1 RETURNING seq, event_id, topic, message_key, payload, headers, created_at)
       INSERT INTO ${this.deadLetterTable} (seq, event_id, topic, message_key, payload, headers, created_at, reason)
       SELECT seq, event_id, topic, message_key, payload, headers, created_at, $2 FROM moved`,
      [row.seq, reason],
    );
    this.logger.error('outbox row refused by the broker; moved to outbox_dead_letters', {
      seq: row.seq,
      topic: row.topic,
      bytes: Buffer.byteLength(row.payload),
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

function messageOf(row: OutboxRecord): OutgoingMessage {
  return { key: row.message_key, value: row.payload, headers: row.headers };
}
