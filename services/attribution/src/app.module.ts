import { Module, type DynamicModule } from '@nestjs/common';
import { Logger } from '@touchstream/logging';
import { KafkaRuntime } from '@touchstream/kafka';
import { TOPICS } from '@touchstream/contracts';
import {
  DatabaseModule,
  KafkaBatchTransport,
  KafkaModule,
  OutboxModule,
  PlatformModule,
  ReplayController,
  ReadinessRegistry,
  fencedRebuildProviders,
  databaseSettingsFrom,
  kafkaSettingsFrom,
  metricsProvider,
} from '@touchstream/platform';
import { ATTRIBUTION_OPTIONS, attributionOptionsFrom, type AttributionConfig } from './config';
import { AttributionMetrics } from './projection/attribution.metrics';
import { ATTRIBUTION_EVENTS, AttributionProjector } from './projection/attribution.projection';
import { AttributionEvents, attributionRebuild, attributionSubscription } from './projection/attribution.events';
import { PageClassifier } from './domain';
import { AttributionController } from './http/attribution.controller';
import { AttributionQueries } from './http/attribution.queries';
import { attributionMigrations } from './migrations';
import { AttributionStore } from './projection/attribution.store';

export const SERVICE_NAME = 'attribution';
/** Route parameters (ids) Fastify matches: long enough that an overlong id gets our 400, not Fastify's 414. */
export const MAX_PARAM_LENGTH = 4_096;

/**
 * services/attribution: sessions, touches and first/last touch, published as attribution.* facts;
 * replay endpoints (POST /admin/replay, GET /admin/replay/status).
 */
@Module({})
export class AttributionAppModule {
  /** `logger` replaces the service's own (tests capture or quieten it). */
  static register(config: AttributionConfig, overrides: { logger?: Logger } = {}): DynamicModule {
    const options = attributionOptionsFrom(config);
    return {
      module: AttributionAppModule,
      imports: [
        PlatformModule.forConfig(SERVICE_NAME, config, overrides.logger),
        KafkaModule.forRoot({
          settings: kafkaSettingsFrom(config, SERVICE_NAME),
          topics: [TOPICS.rawEvents, TOPICS.identityLinks, TOPICS.touches, TOPICS.userSources],
          consumerGroups: [options.consumerGroup],
        }),
        DatabaseModule.forRoot({ settings: databaseSettingsFrom(config, options.schema), migrations: attributionMigrations }),
        OutboxModule.forRoot({ schema: options.schema, keepSentMs: config.OUTBOX_KEEP_SENT_MINUTES * 60_000 }),
      ],
      controllers: [AttributionEvents, AttributionController, ReplayController],
      providers: [
        { provide: ATTRIBUTION_OPTIONS, useValue: options },
        { provide: PageClassifier, useValue: new PageClassifier(options.classifier) },
        { provide: AttributionStore, useValue: new AttributionStore(options.schema) },
        AttributionQueries,
        metricsProvider(AttributionMetrics),
        {
          provide: KafkaBatchTransport,
          inject: [KafkaRuntime, PageClassifier, ReadinessRegistry],
          useFactory: (kafka: KafkaRuntime, classifier: PageClassifier, readiness: ReadinessRegistry) => {
            const transport = new KafkaBatchTransport(kafka, [attributionSubscription(options, kafka, classifier)]);
            // Not ready while a replay has the group stopped to rewind it.
            readiness.register('attribution-consumer', () => transport.isRunning(ATTRIBUTION_EVENTS));
            return transport;
          },
        },
        AttributionProjector,
        ...fencedRebuildProviders(ATTRIBUTION_EVENTS, attributionRebuild(options)),
      ],
    };
  }
}
