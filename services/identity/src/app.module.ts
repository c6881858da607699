import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@touchstream/contracts';
import { Logger } from '@touchstream/logging';
import {
  DatabaseModule,
  KafkaBatchTransport,
  KafkaModule,
  OutboxModule,
  PlatformModule,
  ReplayController,
  fencedRebuildProviders,
  databaseSettingsFrom,
  kafkaSettingsFrom,
  metricsProvider,
} from '@touchstream/platform';
import { IDENTITY_CONFIG, type IdentityConfig } from './config';
import { IdentityDebugController } from './http/identity-debug.controller';
import { IdentityQueries } from './http/identity.queries';
import { identityMigrations } from './migrations';
import { IdentityProjector, RAW_EVENTS } from './projection/identity.projection';
import { IdentityMetrics } from './projection/identity.metrics';
import { TimelinePurge } from './projection/timeline-purge';
import { KafkaRuntime } from '@touchstream/kafka';
import { IdentityEvents, identityRebuild, identitySubscription } from './projection/identity.events';

export const SERVICE_NAME = 'identity';
/** Ids in debug paths may be up to MAX_ID_LENGTH characters, percent-encoded. */
export const MAX_PARAM_LENGTH = 4_096;

/**
 * services/identity: consumes segment.events.raw.v1 into the anonymousId <-> userId graph in its
 * own schema, publishes identity.links.v1 through the outbox, and serves the debug views and
 * the replay endpoints (POST /admin/replay, GET /admin/replay/status).
 */
@Module({})
export class IdentityAppModule {
  static register(config: IdentityConfig, options: { logger?: Logger } = {}): DynamicModule {
    return {
      module: IdentityAppModule,
      imports: [
        PlatformModule.forConfig(SERVICE_NAME, config, options.logger),
        KafkaModule.forRoot({
          settings: kafkaSettingsFrom(config, SERVICE_NAME),
          topics: [TOPICS.rawEvents, TOPICS.identityLinks],
          consumerGroups: [config.IDENTITY_CONSUMER_GROUP],
        }),
        DatabaseModule.forRoot({ settings: databaseSettingsFrom(config, config.IDENTITY_DB_SCHEMA), migrations: identityMigrations }),
        OutboxModule.forRoot({ schema: config.IDENTITY_DB_SCHEMA, keepSentMs: config.OUTBOX_KEEP_SENT_MINUTES * 60_000 }),
      ],
      controllers: [IdentityEvents, IdentityDebugController, ReplayController],
      providers: [
        { provide: IDENTITY_CONFIG, useValue: config },
        metricsProvider(IdentityMetrics),
        {
          provide: KafkaBatchTransport,
          inject: [KafkaRuntime],
          useFactory: (kafka: KafkaRuntime) => new KafkaBatchTransport(kafka, [identitySubscription(config, kafka)]),
        },
        IdentityProjector,
        ...fencedRebuildProviders(RAW_EVENTS, identityRebuild(config)),
        IdentityQueries,
        TimelinePurge,
      ],
    };
  }
}
