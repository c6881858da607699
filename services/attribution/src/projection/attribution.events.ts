import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { TOPICS } from '@touchstream/contracts';
import { FencedRebuild, type OutboxRelay } from '@touchstream/eventing';
import type { ConsumedMessage, KafkaRuntime } from '@touchstream/kafka';
import type { Logger } from '@touchstream/logging';
import { ConsumeBatches, type BatchSubscription, type KafkaBatchTransport } from '@touchstream/platform';
import type { AttributionOptions } from '../config';
import type { PageClassifier } from '../domain';
import { ATTRIBUTION_EVENTS, AttributionProjector } from './attribution.projection';
import { AttributionRebuiltProjection } from './attribution.rebuild';
import { attributionDecoder, type AttributionMessage } from './messages';

function attributionTopics(kafka: KafkaRuntime): { rawEvents: string; identityLinks: string } {
  return { rawEvents: kafka.topic(TOPICS.rawEvents), identityLinks: kafka.topic(TOPICS.identityLinks) };
}

/**
 * Page views and identity links in ONE group, so a visitor's page views and links go through one
 * ledger (the topic names carry the runtime prefix).
 */
export function attributionSubscription(
  options: AttributionOptions,
  kafka: KafkaRuntime,
  classifier: PageClassifier,
): BatchSubscription<AttributionMessage> {
  const topics = attributionTopics(kafka);
  return {
    pattern: ATTRIBUTION_EVENTS,
    groupId: options.consumerGroup,
    topics: [topics.rawEvents, topics.identityLinks],
    decode: attributionDecoder(topics, classifier),
    sessionTimeoutMs: options.consumerSessionTimeoutMs,
    partitionsConsumedConcurrently: options.consumerConcurrency,
  };
}

/** The replay target of the group: it stops and starts the group's consumer through the transport. */
export function attributionRebuild(
  dependencies: { dataSource: DataSource; kafka: KafkaRuntime; relay: OutboxRelay; logger: Logger; transport: KafkaBatchTransport },
  options: AttributionOptions,
): FencedRebuild {
  const { dataSource, kafka, relay, logger, transport } = dependencies;
  const topics = attributionTopics(kafka);
  const rebuild = new FencedRebuild(dataSource, kafka, relay, logger.child({ component: 'replay' }), {
    schema: options.schema,
    groupId: options.consumerGroup,
    topics: () => [topics.rawEvents, topics.identityLinks],
    consumer: { start: () => transport.start(ATTRIBUTION_EVENTS), stop: () => transport.stop(ATTRIBUTION_EVENTS) },
    projection: new AttributionRebuiltProjection(
      options.schema,
      { touches: kafka.topic(TOPICS.touches), userSources: kafka.topic(TOPICS.userSources) },
      options.settings.lastTouchModel,
    ),
  });
  // An interrupted rebuild goes on once the group consumes again.
  transport.afterListen(() => rebuild.open());
  return rebuild;
}

@Controller()
export class AttributionEvents {
  constructor(@Inject(AttributionProjector) private readonly projector: AttributionProjector) {}

  /** Resolves once the batch's state, facts (outbox) and positions are committed together. */
  @ConsumeBatches(ATTRIBUTION_EVENTS)
  async pageViewsAndLinks(@Payload() messages: ConsumedMessage<AttributionMessage>[]): Promise<void> {
    await this.projector.handle(messages);
  }
}
