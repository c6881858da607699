import { Inject, Injectable, type FactoryProvider, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { TOPICS } from '@touchstream/contracts';
import { KafkaRuntime } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { KafkaBatchTransport, MetricsRegistry, TRACING, type Tracing } from '@touchstream/platform';
import { SERVICE_VERSION, type SinkSettings } from './config';
import { DeadLetterWriter } from './delivery/dead-letters';
import { Dispatcher, type DispatcherHooks } from './delivery/dispatcher';
import { SinkMetrics } from './delivery/sink.metrics';
import type { DeliveryItem } from './domain/delivery-item';
import { BackfillFlusher } from './projection/backfill-flusher';
import { MarkWriter } from './projection/mark-writer';
import { SINK_EVENTS, sinkSubscription, sinkTopics } from './projection/sink.projection';
import { SinkReplayTarget } from './projection/sink.rebuild';
import { SinkStore, type IdentifyMarkRow } from './projection/sink.store';
import { StreamHandler } from './projection/stream-handler';
import { SegmentProxy } from './proxy/segment-proxy';
import { DryRunTransport } from './segment/dry-run-transport';
import { HttpSegmentTransport } from './segment/http-transport';
import { SEGMENT_TRANSPORT, type SegmentTransport } from './segment/segment-transport';

/** The sink's own logger: its lines carry `component: segment-sink` (the proxy's, `segment-proxy`). */
export const SINK_LOGGER = Symbol('SINK_LOGGER');

/** How long a shutdown lets requests in flight finish before abandoning them (their batches are redelivered). */
const DRAIN_MS = 5_000;

export const sinkLoggerProvider: FactoryProvider<Logger> = {
  provide: SINK_LOGGER,
  inject: [Logger],
  useFactory: (logger: Logger) => logger.child({ component: 'segment-sink' }),
};

/** Segment over HTTP, or the dry-run file when there is no write key (SINK_DRY_RUN). */
export function segmentTransportProvider(settings: SinkSettings): FactoryProvider<SegmentTransport> {
  return {
    provide: SEGMENT_TRANSPORT,
    inject: [SINK_LOGGER, TRACING],
    useFactory: (log: Logger, tracing: Tracing): SegmentTransport => {
      if (!settings.dryRun) {
        return new HttpSegmentTransport({
          apiHost: settings.apiHost,
          writeKey: settings.writeKey ?? '',
          connections: settings.maxInFlight,
          timeoutMs: settings.requestTimeoutMs,
          userAgent: `${settings.calls.library.name}/${SERVICE_VERSION}`,
          egressProxy: settings.egressProxy,
          tracing,
        });
      }
      const transport = new DryRunTransport(settings.dryRunFile, log);
      log.warn('SEGMENT_WRITE_KEY is not set: dry run, batches go to a file instead of Segment', { file: settings.dryRunFile });
      return transport;
    },
  };
}

export const markWriterProvider: FactoryProvider<MarkWriter> = {
  provide: MarkWriter,
  inject: [SinkStore, SINK_LOGGER, SinkMetrics],
  useFactory: (store: SinkStore, log: Logger, metrics: SinkMetrics) => new MarkWriter(store, log, metrics),
};

/** The sink's dispatcher; the in-flight gauges of /metrics read its state. */
export function dispatcherProvider(settings: SinkSettings): FactoryProvider<Dispatcher> {
  return {
    provide: Dispatcher,
    inject: [SEGMENT_TRANSPORT, MarkWriter, SinkMetrics, KafkaRuntime, SINK_LOGGER],
    useFactory: (transport: SegmentTransport, marks: MarkWriter, metrics: SinkMetrics, runtime: KafkaRuntime, log: Logger) => {
      const deadLetters = new DeadLetterWriter(runtime, settings.consumerGroup);
      const dispatcher = new Dispatcher(transport, settings, markHandled(settings, deadLetters, marks), metrics, log);
      metrics.reportStatusOf(() => dispatcher.status());
      return dispatcher;
    },
  };
}

/**
 * Postgres records what was handled (so redeliveries and stale versions are skipped), off the
 * delivery path; a dry run records nothing, so that setting the write key later sends
 * everything for real.
 */
function markHandled(settings: SinkSettings, deadLetters: DeadLetterWriter, marks: MarkWriter): DispatcherHooks {
  const mark = (items: readonly DeliveryItem[], outcome: 'delivered' | 'dead-lettered'): void => {
    const identifies: IdentifyMarkRow[] = [];
    const tracks: Array<{ touchId: string; outcome: typeof outcome }> = [];
    for (const { mark } of items) {
      if (mark.call === 'identify') identifies.push({ ...mark, traitsHash: outcome === 'delivered' ? mark.traitsHash : null, outcome });
      else if (mark.call === 'track') tracks.push({ touchId: mark.touchId, outcome });
    }
    marks.identified(identifies);
    marks.tracked(tracks);
  };
  return {
    delivered: (items: DeliveryItem[]) => {
      if (!settings.dryRun) mark(items, 'delivered');
      return Promise.resolve();
    },
    rejected: async (item: DeliveryItem, reason: string) => {
      await deadLetters.write(item, reason);
      if (!settings.dryRun) mark([item], 'dead-lettered');
    },
  };
}

/** The backfill's flusher (SINK_MODE=backfill); null in live mode. */
export function backfillFlusherProvider(settings: SinkSettings): FactoryProvider<BackfillFlusher | null> {
  return {
    provide: BackfillFlusher,
    inject: [SinkStore, MarkWriter, StreamHandler, KafkaRuntime, SINK_LOGGER],
    useFactory: (store: SinkStore, marks: MarkWriter, handler: StreamHandler, runtime: KafkaRuntime, log: Logger) =>
      settings.decisions.mode === 'backfill'
        ? new BackfillFlusher(store, marks, handler, log, {
            quietMs: Math.max(1_000, 2 * settings.flushIntervalMs),
            dryRun: settings.dryRun,
            factsTopic: runtime.topic(TOPICS.userSources),
          })
        : null,
  };
}

/** First-party proxy mode, when SEGMENT_PROXY is on; null otherwise. */
export function segmentProxyProvider(settings: SinkSettings): FactoryProvider<SegmentProxy | null> {
  return {
    provide: SegmentProxy,
    inject: [KafkaRuntime, MetricsRegistry, Logger],
    useFactory: (runtime: KafkaRuntime, registry: MetricsRegistry, logger: Logger) =>
      settings.proxy.enabled ? new SegmentProxy(runtime, settings, settings.proxy, registry, logger) : null,
  };
}

/** The consumer groups: the sink's, and the proxy's when SEGMENT_PROXY is on. */
export function kafkaBatchTransportProvider(settings: SinkSettings): FactoryProvider<KafkaBatchTransport> {
  return {
    provide: KafkaBatchTransport,
    inject: [KafkaRuntime, BackfillFlusher, SegmentProxy, SINK_LOGGER],
    useFactory: (runtime: KafkaRuntime, flusher: BackfillFlusher | null, proxy: SegmentProxy | null, log: Logger) => {
      const consuming = new KafkaBatchTransport(runtime, [
        sinkSubscription(runtime, settings, flusher),
        ...(proxy ? [proxy.subscription()] : []),
      ]);
      consuming.afterListen(() => {
        flusher?.start();
        proxy?.started();
        log.info('segment sink consuming', {
          groupId: settings.consumerGroup,
          mode: settings.decisions.mode,
          dryRun: settings.dryRun,
          topics: sinkTopics(runtime),
        });
        return Promise.resolve();
      });
      return consuming;
    },
  };
}

/** The sink's replay target: it switches the sink's group (never the proxy's) on the transport. */
export function sinkReplayTargetProvider(settings: SinkSettings): FactoryProvider<SinkReplayTarget> {
  return {
    provide: SinkReplayTarget,
    inject: [KafkaBatchTransport, KafkaRuntime, SINK_LOGGER],
    useFactory: (consuming: KafkaBatchTransport, runtime: KafkaRuntime, log: Logger) => {
      const sinkGroup = { start: () => consuming.start(SINK_EVENTS), stop: () => consuming.stop(SINK_EVENTS) };
      return new SinkReplayTarget(sinkGroup, () => sinkTopics(runtime), settings.consumerGroup, log);
    },
  };
}

/** On shutdown drains the dispatchers before Kafka stops; the Segment connections close last. */
@Injectable()
export class SinkShutdown implements OnModuleDestroy, OnApplicationShutdown {
  constructor(
    @Inject(BackfillFlusher) private readonly flusher: BackfillFlusher | null,
    @Inject(Dispatcher) private readonly dispatcher: Dispatcher,
    @Inject(SegmentProxy) private readonly proxy: SegmentProxy | null,
    @Inject(MarkWriter) private readonly marks: MarkWriter,
    @Inject(SEGMENT_TRANSPORT) private readonly transport: SegmentTransport,
  ) {}

  async onModuleDestroy(): Promise<void> {
    // The flusher stops first, then the dispatcher (which ends a pass still waiting on Segment).
    const flushing = this.flusher?.stop();
    await Promise.all([this.dispatcher.close(DRAIN_MS), this.proxy?.close(DRAIN_MS)]);
    await flushing?.finished;
    await this.marks.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }
}
