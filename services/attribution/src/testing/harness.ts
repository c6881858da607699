/**
 * Test support for the attribution integration specs. Like everything under src/testing/, it is
 * left out of the build and may use tools/testing.
 */
import { Pool } from 'pg';
import {
  IDENTITY_LINK_TYPE,
  TOPICS,
  identityLinkId,
  rawEventKey,
  toRawEvent,
  touchSchema,
  userSourcesSchema,
  type IdentityLink,
  type RawEvent,
  type SegmentEvent,
  type TouchData,
  type UserSourcesData,
  envelopeMessage,
} from '@touchstream/contracts';
import { KafkaRuntime, type TopicReader } from '@touchstream/kafka';
import { createService, loadConfig } from '@touchstream/platform';
import {
  dropSchema,
  readOutboxEvents,
  startServiceProcess,
  testInfrastructure,
  testKafkaSettings,
  testLogger,
  testNamespace,
  waitFor,
  waitForIds,
  type ServiceProcess,
  appliedMessages,
} from '@touchstream/testing';
import { AttributionAppModule, MAX_PARAM_LENGTH, SERVICE_NAME } from '../app.module';
import { attributionConfigSchema } from '../config';
import type { StoredOutboxRow } from '@touchstream/eventing';

export const TEST_DEBUG_TOKEN = 'attribution-test-token-0123456789';
export const TEST_ADMIN_TOKEN = 'attribution-admin-token-0123456789';
/** The site of the test events: www. and app. are internal to each other. */
export const SITE_DOMAIN = 'shop.example';
export const SHOP = 'https://www.shop.example';

export interface RunningAttribution {
  url: string;
  close: () => Promise<void>;
}

export interface OutboxFact {
  eventId: string;
  seq: number;
  sent: boolean;
  kind: 'touch' | 'user-sources';
  key: string | null;
  touch?: TouchData;
  userSources?: UserSourcesData;
}

/**
 * One spec file's world: a topic prefix and a schema of its own on the real broker and Postgres,
 * a producer for raw events and identity links, a pool to read the service's tables, and
 * attribution apps (in this process) or processes (the compiled service).
 */
export class AttributionTestbed {
  readonly namespace: ReturnType<typeof testNamespace>;
  readonly runtime: KafkaRuntime;
  readonly pool: Pool;
  readonly topics: { raw: string; links: string; touches: string; userSources: string };
  /** This testbed's consumer group (group ids are broker-wide, not prefixed). */
  readonly group: string;
  producedRaw = 0;
  producedLinks = 0;
  private readonly apps: RunningAttribution[] = [];
  private readonly processes: ServiceProcess[] = [];
  private readonly readers: TopicReader[] = [];

  constructor(label: string, options: { partitions?: number } = {}) {
    this.namespace = testNamespace(label);
    this.group = `attribution-${this.namespace.id.replace(/_/g, '-')}`;
    this.runtime = new KafkaRuntime(
      { ...testKafkaSettings(this.namespace.topicPrefix, 'attribution-testbed'), partitions: options.partitions },
      testLogger('testbed'),
    );
    this.pool = new Pool({ connectionString: testInfrastructure().databaseUrl, max: 3 });
    this.topics = {
      raw: this.runtime.topic(TOPICS.rawEvents),
      links: this.runtime.topic(TOPICS.identityLinks),
      touches: this.runtime.topic(TOPICS.touches),
      userSources: this.runtime.topic(TOPICS.userSources),
    };
  }

  async start(): Promise<void> {
    await this.runtime.provision([TOPICS.rawEvents, TOPICS.identityLinks, TOPICS.touches, TOPICS.userSources]);
    await this.runtime.connectProducer();
  }

  async close(): Promise<void> {
    for (const app of [...this.apps]) await app.close();
    for (const running of this.processes.splice(0)) await running.stop('SIGKILL');
    for (const reader of this.readers.splice(0)) await reader.stop();
    await this.runtime.shutdown();
    await this.pool.end();
    await dropSchema(testInfrastructure().databaseUrl, this.namespace.schema);
  }

  env(overrides: Record<string, string> = {}): Record<string, string> {
    const { kafkaBrokers, databaseUrl } = testInfrastructure();
    return {
      KAFKA_BROKERS: kafkaBrokers,
      KAFKA_TOPIC_PREFIX: this.namespace.topicPrefix,
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '4',
      ATTRIBUTION_DB_SCHEMA: this.namespace.schema,
      ATTRIBUTION_CONSUMER_GROUP: this.group,
      SITE_DOMAINS: SITE_DOMAIN,
      // The outbox's published rows are these tests' record of everything the service emitted.
      OUTBOX_KEEP_SENT_MINUTES: '1440',
      DEBUG_TOKEN: TEST_DEBUG_TOKEN,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      ...overrides,
    };
  }

  /** Boots the attribution app in this process (Nest on Fastify, port 0). */
  async startApp(overrides: Record<string, string> = {}): Promise<RunningAttribution> {
    const config = loadConfig(attributionConfigSchema, { ...this.env(overrides), ATTRIBUTION_PORT: '0', HOST: '127.0.0.1' });
    const app = await createService(AttributionAppModule.register(config, { logger: testLogger(SERVICE_NAME) }), {
      service: SERVICE_NAME,
      port: 0,
      host: '127.0.0.1',
      maxParamLength: MAX_PARAM_LENGTH,
    });
    const running: RunningAttribution = {
      url: await app.getUrl(),
      close: async () => {
        this.apps.splice(this.apps.indexOf(running), 1);
        await app.close();
      },
    };
    this.apps.push(running);
    return running;
  }

  /** Runs the compiled service (services/attribution/dist/main.js) as a process of its own. */
  async startProcess(overrides: Record<string, string> = {}): Promise<ServiceProcess> {
    const running = await startServiceProcess('attribution', this.env(overrides), 'ATTRIBUTION_PORT');
    this.processes.push(running);
    const stop = running.stop;
    running.stop = async (signal) => {
      this.processes.splice(this.processes.indexOf(running), 1);
      return stop(signal);
    };
    return running;
  }

  /** Produces raw events keyed as ingest keys them. */
  async produceRaw(events: readonly RawEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 2_000) {
      const chunk = events.slice(i, i + 2_000);
      await this.runtime.producer.send(
        this.topics.raw,
        chunk.map((event) => envelopeMessage(event, rawEventKey(event.data.event))),
      );
    }
    this.producedRaw += events.length;
  }

  /** Produces identity links keyed by anonymousId, as the identity service does. */
  async produceLinks(links: readonly IdentityLink[]): Promise<void> {
    if (links.length === 0) return;
    await this.runtime.producer.send(
      this.topics.links,
      links.map((link) => envelopeMessage(link, link.data.anonymousId)),
    );
    this.producedLinks += links.length;
  }

  /** Messages applied by a group: the sum of its stored next offsets (the topics are fresh). */
  async applied(group = this.group): Promise<number> {
    return appliedMessages(this.pool, this.namespace.schema, group);
  }

  /**
   * Waits until the group applied everything produced and the outbox is drained, and checks that
   * no message went to the group's dead-letter topic (the last offset of a partition counts as
   * applied only when its batch was, so a dead letter there would also keep this waiting).
   */
  async settled(group = this.group, timeoutMs = 45_000): Promise<void> {
    const total = this.producedRaw + this.producedLinks;
    await waitFor(async () => (await this.applied(group)) === total, { timeoutMs, description: `${group} to apply ${total} messages` });
    await waitFor(async () => (await this.outbox()).every((fact) => fact.sent), { timeoutMs, description: 'the outbox to drain' });
    const deadLetters = await this.deadLetters(group);
    if (deadLetters > 0) throw new Error(`${deadLetters} messages went to the dead-letter topic of ${group}`);
  }

  /** Messages in a group's dead-letter topic. */
  async deadLetters(group = this.group): Promise<number> {
    const lag = await this.runtime.lag(`dead-letter-count-${this.namespace.id}`, [this.runtime.topic(`${group}.dead-letter.v1`)]);
    return lag.reduce((sum, partition) => sum + partition.lag, 0);
  }

  /** Every fact written to the outbox, in commit order. */
  async outbox(): Promise<OutboxFact[]> {
    const events = await readOutboxEvents(async (sql) => (await this.pool.query<StoredOutboxRow>(sql)).rows, this.namespace.schema);
    return events.map((event) => {
      const base = { eventId: event.eventId, seq: Number(event.seq), sent: event.sent, key: event.key };
      const payload: unknown = JSON.parse(event.payload);
      if (event.topic === this.topics.touches) return { ...base, kind: 'touch' as const, touch: touchSchema.parse(payload).data };
      return { ...base, kind: 'user-sources' as const, userSources: userSourcesSchema.parse(payload).data };
    });
  }

  /** The highest version of each subject's fact ("user:<id>" / "anonymous:<id>"). */
  async latestUserSources(): Promise<Map<string, UserSourcesData>> {
    const latest = new Map<string, UserSourcesData>();
    for (const fact of await this.outbox()) {
      const data = fact.userSources;
      if (!data) continue;
      const key = `${data.subjectType}:${data.subjectId}`;
      if ((latest.get(key)?.version ?? 0) < data.version) latest.set(key, data);
    }
    return latest;
  }

  /** The highest revision of each touch. */
  async latestTouches(): Promise<Map<string, TouchData>> {
    const latest = new Map<string, TouchData>();
    for (const fact of await this.outbox()) {
      const data = fact.touch;
      if (data && (latest.get(data.touchId)?.revision ?? 0) < data.revision) latest.set(data.touchId, data);
    }
    return latest;
  }

  /**
   * A reader of a topic from the beginning: `upTo(n)` waits for at least n messages; `containing(ids)`
   * waits until every one of those event ids arrived (a count can be reached early when a relay
   * re-published some facts after a kill).
   */
  async reader(topic: string): Promise<{
    upTo: (count: number) => Promise<Array<{ key: string | null; value: unknown }>>;
    containing: (ids: ReadonlySet<string>) => Promise<Array<{ key: string | null; value: unknown }>>;
  }> {
    const reader = this.runtime.reader(topic);
    await reader.start();
    this.readers.push(reader);
    const messages = () =>
      reader.received().map((message) => ({ key: message.key, value: JSON.parse(message.value?.toString('utf8') ?? 'null') as unknown }));
    return {
      upTo: (count) => waitFor(() => reader.received().length >= count && messages(), { description: `${count} messages on ${topic}` }),
      containing: (ids) =>
        waitForIds(messages, ({ value }) => (value as { id?: unknown } | null)?.id, ids, {
          description: `${ids.size} event ids on ${topic}`,
        }),
    };
  }

  /** Every row of the service's state tables, as JSON text (timestamps to the microsecond), sorted: for exact comparisons. */
  async tables(): Promise<Record<string, string[]>> {
    const tables: Record<string, string[]> = {};
    for (const table of ['page_views', 'touches', 'links', 'subjects']) {
      tables[table] = (await this.rows<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM $schema.${table} AS t ORDER BY 1`)).map(
        ({ row }) => row,
      );
    }
    return tables;
  }

  /** Rows of one of the service's tables (tests that look at the stored state). */
  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.pool.query(sql.replaceAll('$schema', `"${this.namespace.schema}"`), params);
    return result.rows as T[];
  }
}

let sequence = 0;

export interface PageInput {
  anonymousId?: string;
  userId?: string;
  /** ISO-8601 event time. */
  at: string;
  url: string;
  referrer?: string;
  messageId?: string;
  type?: 'page' | 'track' | 'screen';
  campaign?: Record<string, string>;
}

/** A raw page view (or a track/screen carrying the page), as ingest or the importer writes it. */
export function pageEvent(input: PageInput): RawEvent {
  const messageId = input.messageId ?? `test-${process.pid}-${++sequence}`;
  const page = { url: input.url, referrer: input.referrer ?? '' };
  const common = {
    messageId,
    anonymousId: input.anonymousId ?? null,
    userId: input.userId ?? null,
    timestamp: input.at,
    context: { page, ...(input.campaign ? { campaign: input.campaign } : {}) },
  };
  const type = input.type ?? 'page';
  const event = (
    type === 'track'
      ? { ...common, type, event: 'CTA Clicked', properties: {} }
      : type === 'screen'
        ? { ...common, type, name: 'Home', properties: {} }
        : { ...common, type, properties: { url: input.url, referrer: input.referrer ?? '' } }
  ) as SegmentEvent;
  return toRawEvent(event, { source: 'import', receivedAt: new Date(input.at) });
}

/** An identity.links.v1 event, as the identity service publishes it. */
export function identityLink(anonymousId: string, userId: string, firstSeenAt: string, revision = 1): IdentityLink {
  return {
    id: identityLinkId(anonymousId, userId, revision),
    type: IDENTITY_LINK_TYPE,
    occurredAt: firstSeenAt,
    recordedAt: firstSeenAt,
    correlationId: `link-${anonymousId}-${userId}`,
    causationId: null,
    source: 'import',
    data: { anonymousId, userId, firstSeenAt, via: 'identify', messageId: `identify-${anonymousId}-${userId}-${revision}`, revision },
  };
}

/**
 * What the identity service publishes for raw events in this order: a link when a pair
 * (anonymousId, userId) is first seen on one event, and a new revision when an earlier sighting
 * arrives later (archives are unsorted).
 */
export function linksFor(events: readonly RawEvent[]): IdentityLink[] {
  const known = new Map<string, { at: string; revision: number }>();
  const links: IdentityLink[] = [];
  for (const raw of events) {
    const { anonymousId, userId, timestamp } = raw.data.event;
    if (!anonymousId || !userId) continue;
    const key = `${anonymousId}\u0000${userId}`;
    const seen = known.get(key);
    if (seen && Date.parse(seen.at) <= Date.parse(timestamp)) continue;
    const revision = (seen?.revision ?? 0) + 1;
    known.set(key, { at: timestamp, revision });
    links.push(identityLink(anonymousId, userId, new Date(timestamp).toISOString(), revision));
  }
  return links;
}

/** Facts compared across runs: what they say, without the counters that depend on arrival order. */
export function comparableUserSources(facts: ReadonlyMap<string, UserSourcesData>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, fact] of [...facts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // A fact that clears a subject says what no fact says: no attribution.
    if (fact.firstTouch === null) continue;
    const { version: _version, touchCount: _count, firstTouch, lastTouch, ...rest } = fact;
    result[key] = { ...rest, firstTouch: withoutRevision(firstTouch), lastTouch: lastTouch && withoutRevision(lastTouch) };
  }
  return result;
}

export function comparableTouches(touches: ReadonlyMap<string, TouchData>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [id, touch] of [...touches].sort(([a], [b]) => (a < b ? -1 : 1)))
    if (touch.status === 'recorded') result[id] = withoutRevision(touch);
  return result;
}

function withoutRevision(touch: TouchData): Omit<TouchData, 'revision'> {
  const { revision: _revision, ...rest } = touch;
  return rest;
}
