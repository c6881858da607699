import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FencedRebuild, OutboxRelay, REPLAY_TARGETS, type FencedRebuildOptions } from '@touchstream/eventing';
import { KafkaRuntime } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { KafkaBatchTransport } from '../kafka-batch-transport';
import { ReplayService } from './replay';

/** What a service says about its rebuild; the consumer switch comes from the transport. */
export type RebuildSpec = Omit<FencedRebuildOptions, 'consumer'>;

/**
 * The replay of a consuming service that publishes facts through its outbox: a FencedRebuild of
 * the group behind `pattern` (stopped and started through the KafkaBatchTransport, and resumed
 * once the groups consume, when a rebuild was interrupted), the replay target it is, and the
 * ReplayService behind POST /admin/replay. `spec` gets the runtime to name the prefixed topics.
 */
export function fencedRebuildProviders(pattern: string, spec: (kafka: KafkaRuntime) => RebuildSpec): Provider[] {
  return [
    {
      provide: FencedRebuild,
      inject: [DataSource, KafkaRuntime, OutboxRelay, Logger, KafkaBatchTransport],
      useFactory: (dataSource: DataSource, kafka: KafkaRuntime, relay: OutboxRelay, logger: Logger, transport: KafkaBatchTransport) => {
        const consumer = { start: () => transport.start(pattern), stop: () => transport.stop(pattern) };
        const rebuild = new FencedRebuild(dataSource, kafka, relay, logger.child({ component: 'replay' }), { ...spec(kafka), consumer });
        transport.afterListen(() => rebuild.open());
        return rebuild;
      },
    },
    { provide: REPLAY_TARGETS, inject: [FencedRebuild], useFactory: (rebuild: FencedRebuild) => [rebuild] },
    ReplayService,
  ];
}
