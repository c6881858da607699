import type { FactoryProvider } from '@nestjs/common';
import { TOPICS } from '@touchstream/contracts';
import { KafkaRuntime } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { ReadinessRegistry } from '@touchstream/platform';
import { BrokerHealth } from './domain/broker-health';
import { Ingestor, type IngestSettings } from './domain/ingestor';
import { IngestMetrics } from './http/ingest.metrics';

/**
 * The framework-free pieces of ingest (domain/) that Nest cannot construct by itself: each
 * factory hands one what it needs from the container.
 */

/** Whether the broker acknowledges writes: not ready while acks time out, probed quickly. */
export function brokerHealthProvider(ackTimeoutMs: number): FactoryProvider<BrokerHealth> {
  return {
    provide: BrokerHealth,
    inject: [KafkaRuntime, ReadinessRegistry],
    useFactory: (runtime: KafkaRuntime, readiness: ReadinessRegistry) => {
      const health = new BrokerHealth(() => runtime.brokerReachable(Math.min(2_000, ackTimeoutMs)));
      readiness.register('broker-acks', () => health.ready());
      return health;
    },
  };
}

/** The ingestor writes accepted events to the raw topic and refused ones to the rejected topic. */
export function ingestorProvider(settings: IngestSettings): FactoryProvider<Ingestor> {
  return {
    provide: Ingestor,
    inject: [KafkaRuntime, BrokerHealth, IngestMetrics, Logger],
    useFactory: (runtime: KafkaRuntime, health: BrokerHealth, metrics: IngestMetrics, logger: Logger) => {
      warnAboutOpenDoors(settings, logger);
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
  };
}

function warnAboutOpenDoors(settings: IngestSettings, logger: Logger): void {
  if (settings.sharedSecret === undefined) logger.warn('SEGMENT_SHARED_SECRET is not set: /v1/webhook accepts unsigned requests');
  if (settings.writeKeys.length === 0) {
    logger.warn('INGEST_WRITE_KEYS is not set: the Tracking API routes (/v1/batch, /v1/track, ...) answer 401 to every request');
  }
}
