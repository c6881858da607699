import type { TopicSpec } from '@touchstream/contracts';
import type { KafkaSasl, KafkaTls } from './security';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Prepended to every topic name ("<prefix>.<name>"): isolates tests and tenants on one broker. */
  topicPrefix?: string;
  /** Partitions for provisioned topics; falls back to each topic's own spec. */
  partitions?: number;
  replicationFactor?: number;
  /** How long one connection attempt may take. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * The consumers' fetch: returned once this many bytes are there or fetchMaxWaitMs has passed
   * (BatchConsumer's minFetchBytes / maxFetchWaitMs; a consumer's own option wins).
   */
  fetchMinBytes?: number;
  fetchMaxWaitMs?: number;
  /**
   * A consumer partition holding unapplied messages whose position has not moved for this long
   * is stuck, and the service not ready (BatchConsumer's stuckAfterMs).
   */
  consumerStuckAfterMs?: number;
  /**
   * How long a service keeps retrying a broker that is not there or not ready yet at boot
   * (provisioning, connecting the producer, starting a consumer) before the boot fails.
   */
  bootTimeoutMs?: number;
  /** TLS to the brokers (KAFKA_SSL*); absent: plaintext. */
  tls?: KafkaTls;
  /** SASL authentication (KAFKA_SASL_*); absent: none. */
  sasl?: KafkaSasl;
}

export function topicName(settings: Pick<KafkaSettings, 'topicPrefix'>, spec: TopicSpec | string): string {
  const name = typeof spec === 'string' ? spec : spec.name;
  return settings.topicPrefix ? `${settings.topicPrefix}.${name}` : name;
}

/**
 * The consumer group id the broker sees: prefixed like the topics. Two deployments on one broker
 * with different prefixes and the same group name (each service's default) would otherwise be one
 * group, whose assignment hands a member partitions of the other deployment's topics. The group's
 * own name (unprefixed) stays what the services store positions under and name dead letters by.
 */
export function groupName(settings: Pick<KafkaSettings, 'topicPrefix'>, group: string): string {
  return topicName(settings, group);
}

/** Parses "host:port,host:port", refusing anything that is not a host and a port. */
export function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS must list at least one host:port');
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) throw new Error(`KAFKA_BROKERS entry "${broker}" is not host:port`);
  }
  return brokers;
}
