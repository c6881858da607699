import { Global, Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule } from '@nestjs/common';
import type { TopicSpec } from '@touchstream/contracts';
import { KafkaRuntime, type EventProducerOptions, type KafkaSettings } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { ReadinessRegistry } from './readiness';

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

@Global()
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        {
          provide: KafkaRuntime,
          inject: [Logger, ReadinessRegistry],
          useFactory: async (logger: Logger, readiness: ReadinessRegistry) => {
            const runtime = new KafkaRuntime(options.settings, logger, options.producer);
            await runtime.provision(options.topics, options.consumerGroups ?? []);
            await runtime.connectProducer();
            readiness.register('kafka', () => runtime.isReady());
            return runtime;
          },
        },
        KafkaShutdown,
      ],
      exports: [KafkaRuntime],
    };
  }
}
