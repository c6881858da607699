import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@touchstream/contracts';
import { Logger } from '@touchstream/logging';
import { KafkaModule, PlatformModule, kafkaSettingsFrom, metricsProvider } from '@touchstream/platform';
import { ingestSettingsFrom, type IngestConfig } from './config';
import { brokerHealthProvider, ingestorProvider } from './ingest.providers';
import { CORS_POLICY, IngestCors } from './http/cors';
import { IngestHttpSetup } from './http/fastify-setup';
import { IngestController } from './http/ingest.controller';
import { IngestMetrics } from './http/ingest.metrics';
import { SdkController } from './http/sdk.controller';
import { SdkMetrics } from './http/sdk.metrics';
import { INGEST_SETTINGS } from './http/tokens';

export const SERVICE_NAME = 'ingest';

/** services/ingest: the only writer of segment.events.raw.v1. */
@Module({})
export class IngestAppModule {
  static register(config: IngestConfig, options: { logger?: Logger } = {}): DynamicModule {
    const settings = ingestSettingsFrom(config);
    // Created here, before the container, because the producer's callback is wired at registration.
    const metrics = new IngestMetrics();
    return {
      module: IngestAppModule,
      imports: [
        PlatformModule.forConfig(SERVICE_NAME, config, options.logger),
        KafkaModule.forRoot({
          settings: kafkaSettingsFrom(config, SERVICE_NAME),
          topics: [TOPICS.rawEvents, TOPICS.rejectedEvents],
          producer: { ackTimeoutMs: config.INGEST_ACK_TIMEOUT_MS, onBatchSent: (info) => metrics.produceRequestSent(info) },
        }),
      ],
      controllers: [IngestController, SdkController],
      providers: [
        { provide: INGEST_SETTINGS, useValue: settings },
        { provide: CORS_POLICY, useValue: config.INGEST_CORS_ORIGINS },
        metricsProvider(SdkMetrics),
        metricsProvider(IngestMetrics, metrics),
        brokerHealthProvider(config.INGEST_ACK_TIMEOUT_MS),
        ingestorProvider(settings),
        IngestHttpSetup,
        IngestCors,
      ],
    };
  }
}
