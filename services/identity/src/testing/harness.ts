/**
 * Test support for the identity integration specs. Like everything under src/testing/, it is left
 * out of the build and may use tools/testing.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { identityLinkSchema, rawEventKey, TOPICS, type IdentityLink, type RawEvent, envelopeMessage } from '@touchstream/contracts';
import type { GraphSnapshot } from '../domain';
import { KafkaRuntime, type TopicReader } from '@touchstream/kafka';
import { createService, loadConfig } from '@touchstream/platform';
import {
  dropSchema,
  readOutboxEvents,
  testInfrastructure,
  testKafkaSettings,
  testLogger,
  testNamespace,
  waitFor,
  waitForIds,
  appliedMessages,
} from '@touchstream/testing';
import { IdentityAppModule, MAX_PARAM_LENGTH, SERVICE_NAME } from '../app.module';
import { identityConfigSchema } from '../config';
import type { StoredOutboxRow } from '@touchstream/eventing';

export const TEST_DEBUG_TOKEN = 'identity-test-token-0123456789';
export const TEST_ADMIN_TOKEN = 'identity-admin-token-0123456789';

export interface RunningIdentity {
  url: string;
  app: NestFastifyApplication;
  close: () => Promise<void>;
}

/**
 * One spec file's world: a topic prefix and a schema of its own on the real broker and Postgres,
 * a producer for raw events, a pool to read the projection, and in-process identity apps.
 */
export class IdentityTestbed {
  readonly namespace: ReturnType<typeof testNamespace>;
  readonly runtime: KafkaRuntime;
  readonly pool: Pool;
  readonly rawTopic: string;
  readonly linksTopic: string;
  /** This testbed's consumer group (a replay uses another). */
  readonly group: string;
  /** Raw events produced so far (the sum of the raw topic's end offsets: its topics are fresh). */
  produced = 0;
  private readonly apps: RunningIdentity[] = [];
  private readonly readers: TopicReader[] = [];

  constructor(label: string) {
    this.namespace = testNamespace(label);
    this.group = `identity-${this.namespace.id.replace(/_/g, '-')}`;
    this.runtime = new KafkaRuntime(testKafkaSettings(this.namespace.topicPrefix, 'identity-testbed'), testLogger('testbed'));
    this.pool = new Pool({ connectionString: testInfrastructure().databaseUrl, max: 3 });
    this.rawTopic = this.runtime.topic(TOPICS.rawEvents);
    this.linksTopic = this.runtime.topic(TOPICS.identityLinks);
  }

  async start(): Promise<void> {
    await this.runtime.provision([TOPICS.rawEvents, TOPICS.identityLinks]);
    await this.runtime.connectProducer();
  }

  /** The environment a service process or app of this testbed runs with. */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    const { kafkaBrokers, databaseUrl } = testInfrastructure();
    return {
      KAFKA_BROKERS: kafkaBrokers,
      KAFKA_TOPIC_PREFIX: this.namespace.topicPrefix,
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '6',
      IDENTITY_DB_SCHEMA: this.namespace.schema,
      // Group ids are broker-wide, not prefixed: one per testbed, or spec files would share members.
      IDENTITY_CONSUMER_GROUP: this.group,
      // Test events carry fixed 2026 timestamps: keep them all in the timeline.
      IDENTITY_TIMELINE_RETENTION_DAYS: '36500',
      // The outbox's published rows are these tests' record of everything the service emitted.
      OUTBOX_KEEP_SENT_MINUTES: '1440',
      DEBUG_TOKEN: TEST_DEBUG_TOKEN,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      ...overrides,
    };
  }

  /** Boots the identity app in this process (Nest on Fastify, port 0). */
  async startApp(overrides: Record<string, string> = {}): Promise<RunningIdentity> {
    const config = loadConfig(identityConfigSchema, { ...this.env(overrides), IDENTITY_PORT: '0', HOST: '127.0.0.1' });
    const app = await createService(IdentityAppModule.register(config, { logger: testLogger(SERVICE_NAME) }), {
      service: SERVICE_NAME,
      port: 0,
      host: '127.0.0.1',
      maxParamLength: MAX_PARAM_LENGTH,
    });
    const running: RunningIdentity = {
      url: await app.getUrl(),
      app,
      close: async () => {
        this.apps.splice(this.apps.indexOf(running), 1);
        await app.close();
      },
    };
    this.apps.push(running);
    return running;
  }

  /** Produces raw events keyed as ingest keys them. */
  async produce(events: readonly RawEvent[]): Promise<void> {
    await this.runtime.producer.send(
      this.rawTopic,
      events.map((event) => envelopeMessage(event, rawEventKey(event.data.event))),
    );
    this.produced += events.length;
  }

  /** Raw events applied by a consumer group: the sum of its stored next offsets. */
  async applied(group = this.group): Promise<number> {
    return appliedMessages(this.pool, this.namespace.schema, group);
  }

  /** Waits until the group has applied everything produced and the outbox is drained. */
  async settled(group = this.group, timeoutMs = 30_000): Promise<void> {
    await waitFor(async () => (await this.applied(group)) === this.produced, {
      timeoutMs,
      description: `${group} to apply ${this.produced} events`,
    });
    await waitFor(async () => (await this.outbox()).every((row) => row.sent), { timeoutMs, description: 'the outbox to drain' });
  }

  async outbox(): Promise<Array<{ eventId: string; sent: boolean; payload: IdentityLink }>> {
    const events = await readOutboxEvents(async (sql) => (await this.pool.query<StoredOutboxRow>(sql)).rows, this.namespace.schema);
    return events.map((event) => ({
      eventId: event.eventId,
      sent: event.sent,
      payload: identityLinkSchema.parse(JSON.parse(event.payload)),
    }));
  }

  /** A reader of identity.links.v1 from the beginning. */
  /**
   * `upTo(n)` waits for at least n link events; `containing(ids)` until each of those ids arrived
   * (a count can be reached early when the relay re-published rows after a kill).
   */
  async linkReader(): Promise<{
    upTo: (count: number) => Promise<Array<{ key: string | null; value: IdentityLink }>>;
    containing: (ids: readonly string[]) => Promise<Array<{ key: string | null; value: IdentityLink }>>;
  }> {
    const reader = this.runtime.reader(this.linksTopic);
    await reader.start();
    this.readers.push(reader);
    const messages = () =>
      reader
        .received()
        .map((message) => ({ key: message.key, value: identityLinkSchema.parse(JSON.parse(message.value?.toString('utf8') ?? 'null')) }));
    return {
      upTo: (count) => waitFor(() => reader.received().length >= count && messages(), { description: `${count} link events` }),
      containing: (ids) => waitForIds(messages, ({ value }) => value.id, ids, { description: `${ids.length} link event ids` }),
    };
  }

  /** The projection as the domain lib's snapshot shape, read from Postgres. */
  async snapshot(): Promise<GraphSnapshot> {
    const schema = `"${this.namespace.schema}"`;
    const q = async <T>(sql: string) => (await this.pool.query(sql)).rows as T[];
    const iso = (date: Date) => date.toISOString();
    const sort = <T>(rows: T[], key: (row: T) => string) => rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const links = await q<{ anonymous_id: string; user_id: string; first_seen_at: Date; via: string; message_id: string }>(
      `SELECT * FROM ${schema}.links`,
    );
    const ids = await q<{ kind: 'anonymous' | 'user'; id: string; first_seen_at: Date; last_seen_at: Date }>(
      `SELECT * FROM ${schema}.seen_ids`,
    );
    const traits = await q<{ user_id: string; key: string; value: unknown; observed_at: Date; message_id: string }>(
      `SELECT * FROM ${schema}.traits`,
    );
    const timeline = await q<{
      message_id: string;
      anonymous_id: string | null;
      user_id: string | null;
      type: string;
      name: string | null;
      ts: Date;
      url: string | null;
      referrer: string | null;
    }>(`SELECT * FROM ${schema}.timeline`);
    return {
      links: sort(
        links.map((row) => ({
          anonymousId: row.anonymous_id,
          userId: row.user_id,
          firstSeenAt: iso(row.first_seen_at),
          via: row.via,
          messageId: row.message_id,
        })),
        (row) => `${row.anonymousId}\u0000${row.userId}`,
      ),
      ids: sort(
        ids.map((row) => ({ kind: row.kind, id: row.id, firstSeenAt: iso(row.first_seen_at), lastSeenAt: iso(row.last_seen_at) })),
        (row) => `${row.kind}\u0000${row.id}`,
      ),
      traits: sort(
        traits.map((row) => ({
          userId: row.user_id,
          key: row.key,
          value: row.value,
          observedAt: iso(row.observed_at),
          messageId: row.message_id,
        })),
        (row) => `${row.userId}\u0000${row.key}`,
      ),
      timeline: sort(
        timeline.map((row) => ({
          messageId: row.message_id,
          anonymousId: row.anonymous_id,
          userId: row.user_id,
          type: row.type,
          name: row.name,
          timestamp: iso(row.ts),
          url: row.url,
          referrer: row.referrer,
        })),
        (row) => row.messageId,
      ),
    };
  }

  /** Every row of the projection's tables, as JSON text (timestamps to the microsecond), sorted: for exact comparisons. */
  async tables(): Promise<Record<string, string[]>> {
    const tables: Record<string, string[]> = {};
    for (const table of ['links', 'seen_ids', 'traits', 'timeline']) {
      const result = await this.pool.query<{ row: string }>(
        `SELECT to_jsonb(t)::text AS row FROM "${this.namespace.schema}".${table} AS t ORDER BY 1`,
      );
      tables[table] = result.rows.map(({ row }) => row);
    }
    return tables;
  }

  /** Runs SQL on the testbed's schema ($schema in the text). */
  async sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(text.replaceAll('$schema', `"${this.namespace.schema}"`), params)).rows as T[];
  }

  /** Link revisions as stored (not part of the order-independent snapshot). */
  async revisions(): Promise<Map<string, number>> {
    const result = await this.pool.query(`SELECT anonymous_id, user_id, revision FROM "${this.namespace.schema}".links`);
    return new Map(
      result.rows.map((row: { anonymous_id: string; user_id: string; revision: number }) => [
        `${row.anonymous_id}\u0000${row.user_id}`,
        row.revision,
      ]),
    );
  }

  async stop(): Promise<void> {
    for (const app of [...this.apps]) await app.close();
    for (const reader of this.readers) await reader.stop();
    await this.runtime.deleteTopics([this.rawTopic, this.linksTopic, this.runtime.topic(`${this.group}.dead-letter.v1`)]);
    await this.runtime.shutdown();
    await this.pool.end();
    await dropSchema(testInfrastructure().databaseUrl, this.namespace.schema);
  }
}

/** GET with an optional bearer token; the JSON body parsed (typed by the caller: an answer or an error). */
export async function get<T = { error: string }>(
  url: string,
  token: string | null = TEST_DEBUG_TOKEN,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as T };
}
