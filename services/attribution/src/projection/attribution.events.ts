import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { TOPICS } from '@touchstream/contracts';
import type { ConsumedMessage, KafkaRuntime } from '@touchstream/kafka';
import { ConsumeBatches, type BatchSubscription, type RebuildSpec } from '@touchstream/platform';
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

/** What attribution's replay rebuilds: ledgers and facts in its schema, from raw events and links. */
export function attributionRebuild(options: AttributionOptions): (kafka: KafkaRuntime) => RebuildSpec {
  return (kafka) => {
    const topics = attributionTopics(kafka);
    return {
      schema: options.schema,
      groupId: options.consumerGroup,
      topics: () => [topics.rawEvents, topics.identityLinks],
      projection: new AttributionRebuiltProjection(
        options.schema,
        { touches: kafka.topic(TOPICS.touches), userSources: kafka.topic(TOPICS.userSources) },
        options.settings.lastTouchModel,
      ),
    };
  };
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
