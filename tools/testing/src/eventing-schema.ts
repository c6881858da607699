import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '@touchstream/database';
import {
  ConsumerPositionTopicIds1770100000000,
  OutboxBatches1769000000000,
  OutboxDeadLetters1767000000000,
  OutboxPayloadText1766200000000,
  OutboxUncompressed1768000000000,
  PlatformTables1764370000000,
} from '@touchstream/eventing';
import { dropSchema, testInfrastructure, testNamespace } from './namespace';
import { readOutboxEvents } from './outbox-events';

/** libs/eventing's own tables: consumed positions, the outbox and its dead letters (no replay fence). */
const EVENTING_TABLES = [
  PlatformTables1764370000000,
  OutboxPayloadText1766200000000,
  OutboxDeadLetters1767000000000,
  OutboxUncompressed1768000000000,
  OutboxBatches1769000000000,
  ConsumerPositionTopicIds1770100000000,
];

/**
 * A spec's own Postgres schema holding libs/eventing's tables and no service's, for the specs of
 * the eventing machinery itself: open it before the tests, close it (which drops it) after.
 */
export class EventingTestSchema {
  readonly namespace: ReturnType<typeof testNamespace>;
  private dataSource: DataSource | undefined;

  constructor(
    label: string,
    private readonly poolSize: number,
  ) {
    this.namespace = testNamespace(label);
  }

  /** Connects and migrates the schema; the connection is the spec's to use until close(). */
  async open(): Promise<DataSource> {
    const { databaseUrl } = testInfrastructure();
    this.dataSource = createDataSource({ url: databaseUrl, schema: this.namespace.schema, poolSize: this.poolSize }, EVENTING_TABLES);
    await this.dataSource.initialize();
    await migrate(this.dataSource);
    return this.dataSource;
  }

  async close(): Promise<void> {
    await this.dataSource?.destroy();
    await dropSchema(testInfrastructure().databaseUrl, this.namespace.schema);
  }

  /**
   * The outbox's events (pending, or sent and kept) whose ids start with `prefix`, in commit order:
   * one test's, as the tests of a spec share its schema.
   */
  async outboxEvents(prefix: string): ReturnType<typeof readOutboxEvents> {
    const dataSource = this.dataSource;
    if (!dataSource) throw new Error('the eventing test schema is not open');
    const events = await readOutboxEvents((sql) => dataSource.query(sql), this.namespace.schema);
    return events.filter((event) => event.eventId.startsWith(prefix));
  }
}
