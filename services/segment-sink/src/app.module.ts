import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOPICS } from '@touchstream/contracts';
import { REPLAY_TARGETS } from '@touchstream/eventing';
import { Logger } from '@touchstream/logging';
import {
  DatabaseModule,
  KafkaModule,
  PlatformModule,
  ReplayController,
  ReplayService,
  databaseSettingsFrom,
  kafkaSettingsFrom,
  metricsProvider,
} from '@touchstream/platform';
import { SERVICE_NAME, SINK_SETTINGS, sinkSettingsFrom, type SegmentSinkConfig } from './config';
import { SinkMetrics } from './delivery/sink.metrics';
import { CallBuilder } from './domain/call-builder';
import { ResendService } from './http/resend.service';
import { SegmentController } from './http/segment.controller';
import { SinkStatusService } from './http/sink-status.service';
import { segmentSinkMigrations } from './migrations';
import { SinkEvents } from './projection/sink.events';
import { SinkReplayTarget } from './projection/sink.rebuild';
import { SinkStore } from './projection/sink.store';
import { StreamHandler } from './projection/stream-handler';
import {
  SinkShutdown,
  backfillFlusherProvider,
  dispatcherProvider,
  kafkaBatchTransportProvider,
  markWriterProvider,
  segmentProxyProvider,
  segmentTransportProvider,
  sinkLoggerProvider,
  sinkReplayTargetProvider,
} from './sink.providers';

export { SERVICE_NAME } from './config';

/**
 * services/segment-sink: identify traits and Source Identified tracks, batched to Segment; the
 * first-party proxy (SEGMENT_PROXY), the re-send and status endpoints and the replay endpoints.
 */
@Module({})
export class SegmentSinkAppModule {
  /** `logger` replaces the service's own (tests capture or quieten it). */
  static register(config: SegmentSinkConfig, overrides: { logger?: Logger } = {}): DynamicModule {
    const settings = sinkSettingsFrom(config);
    return {
      module: SegmentSinkAppModule,
      imports: [
        PlatformModule.forConfig(SERVICE_NAME, config, overrides.logger),
        KafkaModule.forRoot({
          settings: kafkaSettingsFrom(config, SERVICE_NAME),
          topics: settings.proxy.enabled ? [TOPICS.touches, TOPICS.userSources, TOPICS.rawEvents] : [TOPICS.touches, TOPICS.userSources],
          consumerGroups: settings.proxy.enabled ? [settings.consumerGroup, settings.proxy.consumerGroup] : [settings.consumerGroup],
        }),
        DatabaseModule.forRoot({ settings: databaseSettingsFrom(config, config.SINK_DB_SCHEMA), migrations: segmentSinkMigrations }),
      ],
      controllers: [SinkEvents, SegmentController, ReplayController],
      providers: [
        { provide: SINK_SETTINGS, useValue: settings },
        sinkLoggerProvider,
        metricsProvider(SinkMetrics),
        segmentTransportProvider(settings),
        {
          provide: SinkStore,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new SinkStore(dataSource, config.SINK_DB_SCHEMA),
        },
        markWriterProvider,
        { provide: CallBuilder, useValue: new CallBuilder(settings.calls, settings.limits) },
        dispatcherProvider(settings),
        StreamHandler,
        backfillFlusherProvider(settings),
        segmentProxyProvider(settings),
        kafkaBatchTransportProvider(settings),
        sinkReplayTargetProvider(settings),
        { provide: REPLAY_TARGETS, inject: [SinkReplayTarget], useFactory: (target: SinkReplayTarget) => [target] },
        ReplayService,
        ResendService,
        SinkStatusService,
        SinkShutdown,
      ],
    };
  }
}
