import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOPICS } from '@touchstream/contracts';
import { KafkaRuntime } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import {
  DatabaseModule,
  KafkaBatchTransport,
  KafkaModule,
  MetricsRegistry,
  PlatformModule,
  ReplayController,
  ReplayService,
  databaseSettingsFrom,
  kafkaSettingsFrom,
  tracingSettingsFrom,
  TRACING,
  type Tracing,
} from '@touchstream/platform';
import type { SegmentSinkConfig } from './config';
import { BackfillFlusher } from './projection/backfill-flusher';
import { SINK_EVENTS, sinkSubscription, sinkTopics } from './projection/sink.projection';
import { SinkEvents } from './projection/sink.events';
import { SinkReplayTarget } from './projection/sink.rebuild';
import { StreamHandler } from './projection/stream-handler';
import { CallBuilder } from './domain/call-builder';
import { DeadLetterWriter } from './delivery/dead-letters';
import type { DeliveryItem } from './domain/delivery-item';
import { Dispatcher } from './delivery/dispatcher';
import { ResendService } from './http/resend.service';
import { SegmentProxy } from './proxy/segment-proxy';
import { SegmentController } from './http/segment.controller';
import { SinkStatusService } from './http/sink-status.service';
import { segmentSinkMigrations } from './migrations';
import { DryRunTransport } from './segment/dry-run-transport';
import { HttpSegmentTransport } from './segment/http-transport';
import type { SegmentTransport } from './segment/segment-transport';
import { SinkMetrics } from './delivery/sink.metrics';
import { SERVICE_NAME, SERVICE_VERSION, sinkSettingsFrom, type SinkSettings } from './sink-settings';
import { MarkWriter } from './projection/mark-writer';
import { SinkStore, type IdentifyMarkRow } from './projection/sink.store';
import { REPLAY_TARGETS } from '@touchstream/eventing';

export { SERVICE_NAME } from './sink-settings';

/** How long a shutdown lets requests in flight finish before abandoning them (their batches are redelivered). */
const DRAIN_MS = 5_000;

/** Everything the sink is made of, built once the container has the runtime, the database and the registry. */
class Sink {
  readonly transport: SegmentTransport;
  readonly store: SinkStore;
  readonly marks: MarkWriter;
  readonly dispatcher: Dispatcher;
  readonly handler: StreamHandler;
  readonly flusher: BackfillFlusher | null;
  /** The consumer groups (the sink's, and the proxy's when SEGMENT_PROXY is on). */
  readonly consuming: KafkaBatchTransport;
  readonly replay: SinkReplayTarget;
  readonly resend: ResendService;
  readonly status: SinkStatusService;
  /** First-party proxy mode, when SEGMENT_PROXY is on. */
  readonly proxy: SegmentProxy | null;

  constructor(
    settings: SinkSettings,
    schema: string,
    runtime: KafkaRuntime,
    dataSource: DataSource,
    registry: MetricsRegistry,
    logger: Logger,
    tracing: Tracing,
  ) {
    const log = logger.child({ component: 'segment-sink' });
    this.transport = settings.dryRun
      ? new DryRunTransport(settings.dryRunFile, log)
      : new HttpSegmentTransport({
          apiHost: settings.apiHost,
          writeKey: settings.writeKey ?? '',
          connections: settings.maxInFlight,
          timeoutMs: settings.requestTimeoutMs,
          userAgent: `${settings.calls.library.name}/${SERVICE_VERSION}`,
          egressProxy: settings.egressProxy,
          tracing,
        });
    this.store = new SinkStore(dataSource, schema);
    const metrics = new SinkMetrics();
    this.marks = new MarkWriter(this.store, log, metrics);
    const deadLetters = new DeadLetterWriter(runtime, settings.consumerGroup);
    this.dispatcher = new Dispatcher(this.transport, settings, this.hooks(settings, deadLetters), metrics, log);
    metrics.registerIn(registry.registry).reportStatusOf(() => this.dispatcher.status());
    const builder = new CallBuilder(settings.calls, settings.limits);
    this.handler = new StreamHandler(
      this.store,
      this.marks,
      builder,
      this.dispatcher,
      metrics,
      settings.decisions,
      settings.deliveryBudgetMs,
    );
    this.flusher =
      settings.decisions.mode === 'backfill'
        ? new BackfillFlusher(this.store, this.marks, this.handler, log, {
            quietMs: Math.max(1_000, 2 * settings.flushIntervalMs),
            dryRun: settings.dryRun,
            factsTopic: runtime.topic(TOPICS.userSources),
          })
        : null;
    this.proxy = settings.proxy.enabled ? new SegmentProxy(runtime, settings, settings.proxy, registry, logger) : null;
    this.consuming = new KafkaBatchTransport(runtime, [
      sinkSubscription(runtime, settings, this.flusher),
      ...(this.proxy ? [this.proxy.subscription()] : []),
    ]);
    this.consuming.afterListen(() => this.started(settings, runtime, log));
    const sinkGroup = { start: () => this.consuming.start(SINK_EVENTS), stop: () => this.consuming.stop(SINK_EVENTS) };
    this.replay = new SinkReplayTarget(sinkGroup, () => sinkTopics(runtime), settings.consumerGroup, log);
    this.resend = new ResendService(this.store, builder, this.handler, runtime.topic(TOPICS.userSources), runtime.topic(TOPICS.touches));
    this.status = new SinkStatusService(this.dispatcher, this.store, this.marks, settings, this.transport.description, this.flusher);
    if (settings.dryRun)
      log.warn('SEGMENT_WRITE_KEY is not set: dry run, batches go to a file instead of Segment', { file: settings.dryRunFile });
  }

  private started(settings: SinkSettings, runtime: KafkaRuntime, log: Logger): Promise<void> {
    this.flusher?.start();
    this.proxy?.started();
    log.info('segment sink consuming', {
      groupId: settings.consumerGroup,
      mode: settings.decisions.mode,
      dryRun: settings.dryRun,
      topics: sinkTopics(runtime),
    });
    return Promise.resolve();
  }

  /**
   * Postgres records what was handled (so redeliveries and stale versions are skipped), off the
   * delivery path; a dry run records nothing, so that setting the write key later sends
   * everything for real.
   */
  private hooks(settings: SinkSettings, deadLetters: DeadLetterWriter) {
    return {
      delivered: (items: DeliveryItem[]) => {
        if (!settings.dryRun) this.mark(items, 'delivered');
        return Promise.resolve();
      },
      rejected: async (item: DeliveryItem, reason: string) => {
        await deadLetters.write(item, reason);
        if (!settings.dryRun) this.mark([item], 'dead-lettered');
      },
    };
  }

  private mark(items: readonly DeliveryItem[], outcome: 'delivered' | 'dead-lettered'): void {
    const identifies: IdentifyMarkRow[] = [];
    const tracks: Array<{ touchId: string; outcome: typeof outcome }> = [];
    for (const { mark } of items) {
      if (mark.call === 'identify') identifies.push({ ...mark, traitsHash: outcome === 'delivered' ? mark.traitsHash : null, outcome });
      else if (mark.call === 'track') tracks.push({ touchId: mark.touchId, outcome });
    }
    this.marks.identified(identifies);
    this.marks.tracked(tracks);
  }
}

/** On shutdown drains the dispatcher before Kafka stops. */
@Injectable()
class SinkLifecycle implements OnModuleDestroy, OnApplicationShutdown {
  constructor(@Inject(Sink) private readonly sink: Sink) {}

  async onModuleDestroy(): Promise<void> {
    // The flusher stops first, then the dispatcher (which ends a pass still waiting on Segment).
    const flushing = this.sink.flusher?.stop();
    await Promise.all([this.sink.dispatcher.close(DRAIN_MS), this.sink.proxy?.close(DRAIN_MS)]);
    await flushing?.finished;
    await this.sink.marks.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sink.transport.close();
  }
}

/** services/segment-sink: identify traits and Source Identified tracks, batched to Segment. */
@Module({})
export class SegmentSinkAppModule {
  static register(config: SegmentSinkConfig, options: { logger?: Logger } = {}): DynamicModule {
    const settings = sinkSettingsFrom(config);
    return {
      module: SegmentSinkAppModule,
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
          topics: settings.proxy.enabled ? [TOPICS.touches, TOPICS.userSources, TOPICS.rawEvents] : [TOPICS.touches, TOPICS.userSources],
          consumerGroups: settings.proxy.enabled ? [settings.consumerGroup, settings.proxy.consumerGroup] : [settings.consumerGroup],
        }),
        DatabaseModule.forRoot({ settings: databaseSettingsFrom(config, config.SINK_DB_SCHEMA), migrations: segmentSinkMigrations }),
      ],
      controllers: [SinkEvents, SegmentController, ReplayController],
      providers: [
        {
          provide: Sink,
          inject: [KafkaRuntime, DataSource, MetricsRegistry, Logger, TRACING],
          useFactory: (runtime: KafkaRuntime, dataSource: DataSource, registry: MetricsRegistry, logger: Logger, tracing: Tracing) =>
            new Sink(settings, config.SINK_DB_SCHEMA, runtime, dataSource, registry, logger, tracing),
        },
        { provide: KafkaBatchTransport, inject: [Sink], useFactory: (sink: Sink) => sink.consuming },
        { provide: StreamHandler, inject: [Sink], useFactory: (sink: Sink) => sink.handler },
        { provide: SegmentProxy, inject: [Sink], useFactory: (sink: Sink) => sink.proxy },
        { provide: ResendService, inject: [Sink], useFactory: (sink: Sink) => sink.resend },
        { provide: SinkStatusService, inject: [Sink], useFactory: (sink: Sink) => sink.status },
        { provide: REPLAY_TARGETS, inject: [Sink], useFactory: (sink: Sink) => [sink.replay] },
        ReplayService,
        SinkLifecycle,
      ],
    };
  }
}
