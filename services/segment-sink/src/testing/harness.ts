import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  TOPICS,
  TOUCH_TYPE,
  USER_SOURCES_TYPE,
  deadLetterTopic,
  touchEventId,
  userSourcesEventId,
  type TouchData,
  type TouchSource,
  type UserSourcesData,
} from '@touchstream/contracts';
import { KafkaRuntime, envelopeMessage, type ConsumedMessage } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { createService, loadConfig } from '@touchstream/platform';
import {
  startSegmentReceiver,
  testInfrastructure,
  testKafkaSettings,
  testLogger,
  waitFor,
  type SegmentReceiver,
  type SegmentReceiverOptions,
} from '@touchstream/testing';
import { SegmentSinkAppModule, SERVICE_NAME } from '../app.module';
import { segmentSinkConfigSchema } from '../config';

export const WRITE_KEY = 'test-write-key';
export const DEBUG_TOKEN = 'debug-token-for-sink-tests';
export const ADMIN_TOKEN = 'admin-token-for-sink-tests';
/** Two partitions per topic keep consumer start-up quick; the sink does not depend on the count. */
const PARTITIONS = 2;

export type Envelope<T> = {
  id: string;
  type: string;
  occurredAt: string;
  recordedAt: string;
  correlationId: string;
  causationId: string | null;
  source: 'replay';
  data: T;
};

export function touchSource(overrides: Partial<TouchSource> = {}): TouchSource {
  return {
    internal: false,
    channel: 'Direct',
    source: '(direct)',
    medium: '(none)',
    campaign: null,
    term: null,
    content: null,
    referrerHost: null,
    referrerName: null,
    referrerCategory: null,
    searchTerm: null,
    clickId: null,
    clickIdParam: null,
    landingUrl: null,
    ...overrides,
  };
}

export function touchData(overrides: Partial<TouchData> & Pick<TouchData, 'touchId'>): TouchData {
  return {
    anonymousId: 'anon',
    userId: null,
    sessionId: `session-${overrides.touchId}`,
    messageId: `message-${overrides.touchId}`,
    occurredAt: '2024-03-01T10:00:00.000Z',
    url: null,
    referrer: null,
    source: touchSource(),
    status: 'recorded',
    revision: 1,
    ...overrides,
  };
}

export function touchEnvelope(data: TouchData, recordedAt = '2024-06-01T00:00:00.000Z'): Envelope<TouchData> {
  return {
    id: touchEventId(data.touchId, data.revision),
    type: TOUCH_TYPE,
    occurredAt: data.occurredAt,
    recordedAt,
    correlationId: `correlation-${data.touchId}`,
    causationId: data.messageId,
    source: 'replay',
    data,
  };
}

export function factEnvelope(data: UserSourcesData, recordedAt = '2024-06-01T00:00:00.000Z'): Envelope<UserSourcesData> {
  return {
    id: userSourcesEventId(data.subjectType, data.subjectId, data.version),
    type: USER_SOURCES_TYPE,
    occurredAt: data.lastTouch?.occurredAt ?? recordedAt,
    recordedAt,
    correlationId: `correlation-${data.subjectId}-${data.version}`,
    causationId: null,
    source: 'replay',
    data,
  };
}

/** A user's (or visitor's) fact with the given first and last touch. */
export function facts(
  subjectId: string,
  version: number,
  first: TouchData | null,
  last: TouchData | null,
  overrides: Partial<UserSourcesData> = {},
): UserSourcesData {
  return {
    subjectType: 'user',
    subjectId,
    version,
    firstTouch: first,
    lastTouch: last,
    lastTouchModel: 'last-non-direct',
    touchCount: first === null ? 0 : first === last ? 1 : 2,
    userIds: overrides.subjectType === 'anonymous' ? [] : [subjectId],
    ...overrides,
  };
}

/** The sink's environment for a test namespace, pointed at a receiver. */
export function sinkEnv(
  namespace: { topicPrefix: string; schema: string; id: string },
  receiverUrl: string | null,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const { kafkaBrokers, databaseUrl } = testInfrastructure();
  return {
    KAFKA_BROKERS: kafkaBrokers,
    KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    DATABASE_URL: databaseUrl,
    SINK_DB_SCHEMA: namespace.schema,
    SINK_CONSUMER_GROUP: `${namespace.id}-sink`,
    DEBUG_TOKEN,
    ADMIN_TOKEN,
    LOG_LEVEL: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'error',
    SINK_FLUSH_INTERVAL_MS: '50',
    ...(receiverUrl === null ? {} : { SEGMENT_WRITE_KEY: WRITE_KEY, SEGMENT_API_HOST: receiverUrl }),
    ...overrides,
  };
}

/** A producer on the test namespace's topics, and a reader for the sink's dead letters. */
export class TestTopics {
  readonly runtime: KafkaRuntime;

  constructor(namespace: { topicPrefix: string }) {
    this.runtime = new KafkaRuntime({ ...testKafkaSettings(namespace.topicPrefix), partitions: PARTITIONS }, testLogger());
  }

  async start(): Promise<void> {
    await this.runtime.provision([TOPICS.touches, TOPICS.userSources]);
    await this.runtime.connectProducer();
  }

  /** One produce request: the messages land together, so the sink consumes them in one batch per partition. */
  async publishTouches(touches: readonly TouchData[], key?: string): Promise<void> {
    await this.runtime.producer.send(
      this.runtime.topic(TOPICS.touches),
      touches.map((touch) => envelopeMessage(touchEnvelope(touch), key ?? touch.anonymousId ?? touch.userId)),
    );
  }

  async publishFacts(items: ReadonlyArray<UserSourcesData | Envelope<UserSourcesData>>, key?: string): Promise<void> {
    await this.runtime.producer.send(
      this.runtime.topic(TOPICS.userSources),
      items.map((item) => {
        const envelope = 'data' in item ? item : factEnvelope(item);
        return envelopeMessage(envelope, key ?? envelope.data.subjectId);
      }),
    );
  }

  /** Waits until the sink's dead-letter topic holds `count` letters, and returns them. */
  async deadLetters(groupId: string, count: number): Promise<readonly ConsumedMessage<Buffer | null>[]> {
    const reader = this.runtime.reader(this.runtime.topic(deadLetterTopic(groupId)));
    await reader.start();
    try {
      return await waitFor(() => reader.received().length >= count && reader.received(), { description: `${count} dead letters` });
    } finally {
      await reader.stop();
    }
  }

  async stop(): Promise<void> {
    await this.runtime.shutdown();
  }
}

export interface RunningSink {
  app: NestFastifyApplication;
  url: string;
  receiver: SegmentReceiver;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The sink in this process (Nest app on a free port) against a fresh receiver. */
export async function startSink(
  namespace: { topicPrefix: string; schema: string; id: string },
  options: { env?: Record<string, string>; receiver?: Partial<SegmentReceiverOptions> } = {},
): Promise<RunningSink> {
  const receiver = await startSegmentReceiver({ writeKey: WRITE_KEY, ...options.receiver });
  const env = sinkEnv(namespace, receiver.url, options.env);
  const config = loadConfig(segmentSinkConfigSchema, env);
  const app = await createService(SegmentSinkAppModule.register(config, { logger: quietLogger() }), {
    service: SERVICE_NAME,
    port: 0,
    host: '127.0.0.1',
  });
  return {
    app,
    url: await app.getUrl(),
    receiver,
    env,
    close: async () => {
      await app.close();
      await receiver.close();
    },
  };
}

/** Errors only: retries the tests provoke on purpose would otherwise fill the output. */
function quietLogger(): Logger {
  return new Logger({ service: SERVICE_NAME, level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'error' });
}

export function debugHeaders(): Record<string, string> {
  return { authorization: `Bearer ${DEBUG_TOKEN}` };
}
