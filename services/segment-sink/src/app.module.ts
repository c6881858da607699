import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@touchstream/contracts';
import { DatabaseModule, KafkaModule, PlatformModule, databaseSettingsFrom, kafkaSettingsFrom } from '@touchstream/platform';
import type { SegmentSinkConfig } from './config';
import { segmentSinkMigrations } from './migrations';

export const SERVICE_NAME = 'segment-sink';

/** services/segment-sink: identify traits and Source Identified tracks, batched to Segment. */
@Module({})
export class SegmentSinkAppModule {
  static register(config: SegmentSinkConfig): DynamicModule {
    return {
      module: SegmentSinkAppModule,
      imports: [
        PlatformModule.forService({ service: SERVICE_NAME, logLevel: config.LOG_LEVEL, debugToken: config.DEBUG_TOKEN }),
        KafkaModule.forRoot({
          settings: kafkaSettingsFrom(config, SERVICE_NAME),
          topics: [TOPICS.touches, TOPICS.userSources],
          consumerGroups: [SERVICE_NAME],
        }),
        DatabaseModule.forRoot({ settings: databaseSettingsFrom(config, config.SINK_DB_SCHEMA), migrations: segmentSinkMigrations }),
      ],
    };
  }
}
