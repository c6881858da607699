import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { TOPICS, type RawEvent } from '@touchstream/contracts';
import { FencedRebuild, type OutboxRelay } from '@touchstream/eventing';
import type { ConsumedMessage, KafkaRuntime } from '@touchstream/kafka';
import type { Logger } from '@touchstream/logging';
import { ConsumeBatches, type BatchSubscription, type KafkaBatchTransport } from '@touchstream/platform';
import type { IdentityConfig } from '../config';
import { IdentityProjector, RAW_EVENTS } from './identity.projection';
import { IdentityRebuiltProjection } from './identity.rebuild';
import { decodeIdentityEvent } from './raw-decoder';

/** The group, topic and settings behind RAW_EVENTS (the topic name carries the runtime prefix). */
export function identitySubscription(config: IdentityConfig, kafka: KafkaRuntime): BatchSubscription<RawEvent> {
  return {
    pattern: RAW_EVENTS,
    groupId: config.IDENTITY_CONSUMER_GROUP,
    topics: [kafka.topic(TOPICS.rawEvents)],
    decode: decodeIdentityEvent,
    partitionsConsumedConcurrently: config.IDENTITY_CONSUMER_CONCURRENCY,
    sessionTimeoutMs: config.IDENTITY_CONSUMER_SESSION_TIMEOUT_MS,
  };
}

/** The replay target of the group: it stops and starts the group's consumer through the transport. */
export function identityRebuild(
  dependencies: { dataSource: DataSource; kafka: KafkaRuntime; relay: OutboxRelay; logger: Logger; transport: KafkaBatchTransport },
  config: IdentityConfig,
): FencedRebuild {
  const { dataSource, kafka, relay, logger, transport } = dependencies;
  const rebuild = new FencedRebuild(dataSource, kafka, relay, logger.child({ component: 'replay' }), {
    schema: config.IDENTITY_DB_SCHEMA,
    groupId: config.IDENTITY_CONSUMER_GROUP,
    topics: () => [kafka.topic(TOPICS.rawEvents)],
    consumer: { start: () => transport.start(RAW_EVENTS), stop: () => transport.stop(RAW_EVENTS) },
    projection: new IdentityRebuiltProjection(config.IDENTITY_DB_SCHEMA, kafka.topic(TOPICS.identityLinks)),
  });
  // An interrupted rebuild goes on once the group consumes again.
  transport.afterListen(() => rebuild.open());
  return rebuild;
}

@Controller()
export class IdentityEvents {
  constructor(@Inject(IdentityProjector) private readonly projector: IdentityProjector) {}

  /** Resolves once the batch, its link events and its positions are committed together. */
  @ConsumeBatches(RAW_EVENTS)
  async rawEvents(@Payload() messages: ConsumedMessage<RawEvent>[]): Promise<void> {
    await this.projector.handle(messages);
  }
}
