import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@touchstream/contracts';
import { DatabaseModule, KafkaModule, PlatformModule, databaseSettingsFrom, kafkaSettingsFrom } from '@touchstream/platform';
import type { IdentityConfig } from './config';
import { identityMigrations } from './migrations';

export const SERVICE_NAME = 'identity';

/** services/identity: the anonymousId <-> userId graph, published as identity.links.v1. */
@Module({})
export class IdentityAppModule {
  static register(config: IdentityConfig): DynamicModule {
    return {
      module: IdentityAppModule,
      imports: [
        PlatformModule.forService({ service: SERVICE_NAME, logLevel: config.LOG_LEVEL, debugToken: config.DEBUG_TOKEN }),
        KafkaModule.forRoot({
          settings: kafkaSettingsFrom(config, SERVICE_NAME),
          topics: [TOPICS.rawEvents, TOPICS.identityLinks],
          consumerGroups: [SERVICE_NAME],
        }),
        DatabaseModule.forRoot({ settings: databaseSettingsFrom(config, config.IDENTITY_DB_SCHEMA), migrations: identityMigrations }),
      ],
    };
  }
}
