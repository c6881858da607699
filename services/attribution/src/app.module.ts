import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from '@touchstream/logging';
import { TOPICS } from '@touchstream/contracts';
import {
  DatabaseModule,
  KafkaModule,
  OutboxModule,
  PlatformModule,
  REPLAY_TARGETS,
  ReplayController,
  ReplayService,
  databaseSettingsFrom,
  kafkaSettingsFrom,
  tracingSettingsFrom,
} from '@touchstream/platform';
import { ATTRIBUTION_OPTIONS, attributionOptionsFrom } from './attribution-options';
import type { AttributionConfig } from './config';
import { AttributionConsumer } from './consumer/attribution.consumer';
import { PageClassifier } from './core/page-classifier';
import { AttributionController } from './http/attribution.controller';
import { AttributionQueries } from './http/attribution-queries';
import { attributionMigrations } from './migrations';
import { AttributionStore } from './store/attribution-store';

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
        PlatformModule.forService({
          service: SERVICE_NAME,
          logLevel: config.LOG_LEVEL,
          debugToken: config.DEBUG_TOKEN,
          adminToken: config.ADMIN_TOKEN,
          logger: overrides.logger,
          tracing: tracingSettingsFrom(config, SERVICE_NAME),
        }),
        KafkaModule.forRoot({
          settings: kafkaSettingsFrom(config, SERVICE_NAME),
          topics: [TOPICS.rawEvents, TOPICS.identityLinks, TOPICS.touches, TOPICS.userSources],
          consumerGroups: [options.consumerGroup],
        }),
        DatabaseModule.forRoot({ settings: databaseSettingsFrom(config, options.schema), migrations: attributionMigrations }),
        OutboxModule.forRoot({ schema: options.schema, keepSentMs: config.OUTBOX_KEEP_SENT_MINUTES * 60_000 }),
      ],
      controllers: [AttributionController, ReplayController],
      providers: [
        { provide: ATTRIBUTION_OPTIONS, useValue: options },
        { provide: PageClassifier, useValue: new PageClassifier(options.classifier) },
        { provide: AttributionStore, useValue: new AttributionStore(options.schema) },
        AttributionQueries,
        AttributionConsumer,
        { provide: REPLAY_TARGETS, inject: [AttributionConsumer], useFactory: (consumer: AttributionConsumer) => [consumer.rebuild] },
        ReplayService,
      ],
    };
  }
}
