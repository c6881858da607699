import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@touchstream/contracts';
import { KafkaRuntime } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import {
  KafkaModule,
  PlatformModule,
  ReadinessRegistry,
  kafkaSettingsFrom,
  metricsProvider,
  tracingSettingsFrom,
} from '@touchstream/platform';
import type { IngestConfig } from './config';
import { BrokerHealth } from './domain/broker-health';
import { Ingestor, type IngestSettings } from './domain/ingestor';
import { CORS_POLICY, IngestCors } from './http/cors';
import { IngestHttpSetup } from './http/fastify-setup';
import { IngestController } from './http/ingest.controller';
import { IngestMetrics } from './http/ingest.metrics';
import { SdkController } from './http/sdk.controller';
import { SdkMetrics } from './http/sdk.metrics';
import { INGEST_SETTINGS } from './http/tokens';

export const SERVICE_NAME = 'ingest';

export function ingestSettingsFrom(config: IngestConfig): IngestSettings {
  return {
    limits: {
      maxEventBytes: config.INGEST_MAX_EVENT_BYTES,
      maxRequestBytes: config.INGEST_MAX_REQUEST_BYTES,
      maxBatchEvents: config.INGEST_MAX_BATCH_EVENTS,
    },
    writeKeys: config.INGEST_WRITE_KEYS,
    sharedSecret: config.SEGMENT_SHARED_SECRET,
    signatureScope: config.SEGMENT_SIGNATURE_SCOPE,
    ackTimeoutMs: config.INGEST_ACK_TIMEOUT_MS,
    retryAfterSeconds: config.INGEST_RETRY_AFTER_SECONDS,
    maxPendingEvents: config.INGEST_MAX_PENDING_EVENTS,
  };
}

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
        PlatformModule.forService({
          service: SERVICE_NAME,
          logLevel: config.LOG_LEVEL,
          debugToken: config.DEBUG_TOKEN,
          adminToken: config.ADMIN_TOKEN,
          logger: options.logger,
          tracing: tracingSettingsFrom(config, SERVICE_NAME),
        }),
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
        {
          provide: BrokerHealth,
          inject: [KafkaRuntime, ReadinessRegistry],
          useFactory: (runtime: KafkaRuntime, readiness: ReadinessRegistry) => {
            const health = new BrokerHealth(() => runtime.brokerReachable(Math.min(2_000, config.INGEST_ACK_TIMEOUT_MS)));
            readiness.register('broker-acks', () => health.ready());
            return health;
          },
        },
        {
          provide: Ingestor,
          inject: [KafkaRuntime, BrokerHealth, Logger],
          useFactory: (runtime: KafkaRuntime, health: BrokerHealth, logger: Logger) => {
            if (settings.sharedSecret === undefined) {
              logger.warn('SEGMENT_SHARED_SECRET is not set: /v1/webhook accepts unsigned requests');
            }
            if (settings.writeKeys.length === 0) {
              logger.warn('INGEST_WRITE_KEYS is not set: the Tracking API routes (/v1/batch, /v1/track, ...) answer 401 to every request');
            }
            const topics = { raw: runtime.topic(TOPICS.rawEvents), rejected: runtime.topic(TOPICS.rejectedEvents) };
            return new Ingestor((topic, messages, signal) => runtime.producer.send(topics[topic], messages, { signal }), settings, {
              eventsAccepted: (source, count) => metrics.eventsAccepted(source, count),
              eventsRejected: (source, code, count) => metrics.eventsRejected(source, code, count),
              requestRefused: (source, code) => metrics.requestRefused(source, code),
              acksAwaited: (seconds, outcome) => {
                metrics.acksAwaited(seconds, outcome);
                health.record(outcome);
              },
            });
          },
        },
        IngestHttpSetup,
        IngestCors,
      ],
    };
  }
}
