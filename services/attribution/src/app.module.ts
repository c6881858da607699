import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@touchstream/contracts';
import { DatabaseModule, KafkaModule, PlatformModule, databaseSettingsFrom, kafkaSettingsFrom } from '@touchstream/platform';
import type { AttributionConfig } from './config';
import { attributionMigrations } from './migrations';

export const SERVICE_NAME = 'attribution';

/** services/attribution: sessions, touches and first/last touch, published as attribution.* facts. */
@Module({})
export class AttributionAppModule {
  static register(config: AttributionConfig): DynamicModule {
    return {
      module: AttributionAppModule,
      imports: [
        PlatformModule.forService({ service: SERVICE_NAME, logLevel: config.LOG_LEVEL, debugToken: config.DEBUG_TOKEN }),
        KafkaModule.forRoot({
          settings: kafkaSettingsFrom(config, SERVICE_NAME),
          topics: [TOPICS.rawEvents, TOPICS.identityLinks, TOPICS.touches, TOPICS.userSources],
          consumerGroups: [SERVICE_NAME],
        }),
        DatabaseModule.forRoot({ settings: databaseSettingsFrom(config, config.ATTRIBUTION_DB_SCHEMA), migrations: attributionMigrations }),
      ],
    };
  }
}
