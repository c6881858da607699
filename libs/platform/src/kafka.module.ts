import { Global, Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule } from '@nestjs/common';
import type { TopicSpec } from '@touchstream/contracts';
import { KafkaRuntime, type EventProducerOptions, type KafkaSettings } from '@touchstream/kafka';
import { Counter, Gauge } from 'prom-client';
import { Logger } from '@touchstream/logging';
import { MetricsRegistry } from './metrics';
import { ReadinessRegistry } from './readiness';
import { TRACING, type Tracing } from './tracing/tracing';

export interface KafkaModuleOptions {
  settings: KafkaSettings;
  /** Topics this service writes or reads; created at boot when missing. */
  topics: readonly TopicSpec[];
  /** Consumer groups whose dead-letter topics must exist. */
  consumerGroups?: readonly string[];
  producer?: EventProducerOptions;
}

/** Stops consumers and flushes the producer before the database closes (which happens later). */
@Injectable()
class KafkaShutdown implements BeforeApplicationShutdown {
  constructor(@Inject(KafkaRuntime) private readonly runtime: KafkaRuntime) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.shutdown();
  }
}

/**
 * A consumer partition that holds messages and has not moved for the configured time makes the
 * service not ready: /ready names each such group, topic and partition (and the offset it is at),
 * and touchstream_consumer_stuck_partitions counts them per group.
 */
function watchConsumerProgress(runtime: KafkaRuntime, readiness: ReadinessRegistry, metrics: MetricsRegistry): void {
  readiness.register('consumer-progress', () => {
    const stuck = runtime.stuckPartitions();
    return stuck.length === 0 ? true : { ready: false, detail: { stuck } };
  });
  new Gauge({
    name: 'touchstream_consumer_stuck_partitions',
    help: 'Consumer partitions holding messages whose position has not moved for KAFKA_CONSUMER_STUCK_AFTER_MS, by group',
    labelNames: ['group'],
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const { groupId } of runtime.stuckPartitions()) this.inc({ group: groupId });
    },
  });
}

/**
 * touchstream_consumer_position_resets_total{consumer_group,topic,reason}: stored consumer
 * positions set aside because their topic was created anew or its log is gone
 * (docs/operations.md, "Stored positions and topic incarnations"). Anything above 0 deserves a look.
 */
export function countPositionResets(runtime: KafkaRuntime, metrics: MetricsRegistry): void {
  const resets = new Counter({
    name: 'touchstream_consumer_position_resets_total',
    help: 'Stored consumer positions set aside because the topic was created anew or the broker lost its log; the partition was applied again',
    labelNames: ['consumer_group', 'topic', 'reason'],
    registers: [metrics.registry],
  });
  runtime.onNewIncarnation(({ consumerGroup, topic, reason }) => resets.inc({ consumer_group: consumerGroup, topic, reason }));
}

@Global()
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        {
          provide: KafkaRuntime,
          inject: [Logger, ReadinessRegistry, MetricsRegistry, { token: TRACING, optional: true }],
          useFactory: async (logger: Logger, readiness: ReadinessRegistry, metrics: MetricsRegistry, tracing: Tracing | undefined) => {
            const runtime = new KafkaRuntime(options.settings, logger, options.producer);
            if (tracing?.aroundBatch) runtime.wrapBatches(tracing.aroundBatch);
            await runtime.checkAccess();
            countPositionResets(runtime, metrics);
            runtime.observeConsumers(({ groupId, topic, partition, lag }) =>
              metrics.consumerLag.set({ group: groupId, topic, partition: String(partition) }, lag),
            );
            await runtime.provision(options.topics, options.consumerGroups ?? []);
            await runtime.connectProducer();
            readiness.register('kafka', () => runtime.isReady());
            watchConsumerProgress(runtime, readiness, metrics);
            return runtime;
          },
        },
        KafkaShutdown,
      ],
      exports: [KafkaRuntime],
    };
  }
}
