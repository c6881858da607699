import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { OutboxRelay, outboxDeadLetters, type OutboxRelayOptions } from '@touchstream/eventing';
import { KafkaRuntime } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { MetricsRegistry } from '../metrics';

/** Starts the relay once the app is up; stops it before consumers and producer shut down. */
@Injectable()
class OutboxLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(OutboxRelay) private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.relay.stop();
  }
}

@Global()
@Module({})
export class OutboxModule {
  static forRoot(options: Omit<OutboxRelayOptions, 'publishDeadLetter'>): DynamicModule {
    return {
      module: OutboxModule,
      providers: [
        {
          provide: OutboxRelay,
          inject: [DataSource, KafkaRuntime, Logger, MetricsRegistry],
          useFactory: (dataSource: DataSource, kafka: KafkaRuntime, logger: Logger, metrics: MetricsRegistry) => {
            const published = new Counter({
              name: 'touchstream_outbox_published_total',
              help: 'Outbox events published to Kafka (their rows deleted, or marked sent where OUTBOX_KEEP_SENT_MINUTES keeps them)',
              registers: [metrics.registry],
            });
            const deadLettered = new Counter({
              name: 'touchstream_outbox_dead_lettered_total',
              help: 'Outbox events the broker refused, copied to outbox_dead_letters with a record on the dead-letter topic',
              registers: [metrics.registry],
            });
            const relay = new OutboxRelay(dataSource, kafka.producer, logger.child({ component: 'outbox-relay' }), {
              ...options,
              publishDeadLetter: outboxDeadLetters(kafka, options.schema),
              onPublished: (count) => {
                published.inc(count);
                options.onPublished?.(count);
              },
              onDeadLettered: (count) => {
                deadLettered.inc(count);
                options.onDeadLettered?.(count);
              },
            });
            new Gauge({
              name: 'touchstream_outbox_pending',
              help: 'Outbox events not yet acknowledged by the broker',
              registers: [metrics.registry],
              async collect() {
                this.set(await relay.pending());
              },
            });
            return relay;
          },
        },
        OutboxLifecycle,
      ],
      exports: [OutboxRelay],
    };
  }
}
