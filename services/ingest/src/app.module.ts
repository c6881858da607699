import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@touchstream/contracts';
import { KafkaModule, PlatformModule, kafkaSettingsFrom } from '@touchstream/platform';
import type { IngestConfig } from './config';

export const SERVICE_NAME = 'ingest';

/** services/ingest: the only writer of segment.events.raw.v1. */
@Module({})
export class IngestAppModule {
  static register(config: IngestConfig): DynamicModule {
    return {
      module: IngestAppModule,
      imports: [
        PlatformModule.forService({ service: SERVICE_NAME, logLevel: config.LOG_LEVEL, debugToken: config.DEBUG_TOKEN }),
        KafkaModule.forRoot({ settings: kafkaSettingsFrom(config, SERVICE_NAME), topics: [TOPICS.rawEvents, TOPICS.rejectedEvents] }),
      ],
    };
  }
}
