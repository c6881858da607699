import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { TOPICS, type RawEvent } from '@touchstream/contracts';
import type { ConsumedMessage, KafkaRuntime } from '@touchstream/kafka';
import { ConsumeBatches, type BatchSubscription, type RebuildSpec } from '@touchstream/platform';
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

/** What identity's replay rebuilds: the graph in its schema, from the raw topic, re-deriving its links. */
export function identityRebuild(config: IdentityConfig): (kafka: KafkaRuntime) => RebuildSpec {
  return (kafka) => ({
    schema: config.IDENTITY_DB_SCHEMA,
    groupId: config.IDENTITY_CONSUMER_GROUP,
    topics: () => [kafka.topic(TOPICS.rawEvents)],
    projection: new IdentityRebuiltProjection(config.IDENTITY_DB_SCHEMA, kafka.topic(TOPICS.identityLinks)),
  });
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
