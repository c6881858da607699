import type { DatabaseSettings } from '@touchstream/database';
import type { KafkaSettings } from '@touchstream/kafka';

interface KafkaEnv {
  KAFKA_BROKERS: string[];
  KAFKA_TOPIC_PREFIX?: string | undefined;
  KAFKA_TOPIC_PARTITIONS?: number | undefined;
  KAFKA_REPLICATION_FACTOR?: number | undefined;
  KAFKA_FETCH_MIN_BYTES?: number | undefined;
  KAFKA_FETCH_MAX_WAIT_MS?: number | undefined;
  KAFKA_CONSUMER_STUCK_AFTER_MS?: number | undefined;
  KAFKA_BOOT_TIMEOUT_MS?: number | undefined;
}

export function kafkaSettingsFrom(env: KafkaEnv, clientId: string): KafkaSettings {
  return {
    brokers: env.KAFKA_BROKERS,
    clientId,
    topicPrefix: env.KAFKA_TOPIC_PREFIX,
    partitions: env.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: env.KAFKA_REPLICATION_FACTOR,
    fetchMinBytes: env.KAFKA_FETCH_MIN_BYTES,
    fetchMaxWaitMs: env.KAFKA_FETCH_MAX_WAIT_MS,
    consumerStuckAfterMs: env.KAFKA_CONSUMER_STUCK_AFTER_MS,
    bootTimeoutMs: env.KAFKA_BOOT_TIMEOUT_MS,
  };
}

export function databaseSettingsFrom(env: { DATABASE_URL: string; DATABASE_POOL_SIZE: number }, schema: string): DatabaseSettings {
  return { url: env.DATABASE_URL, schema, poolSize: env.DATABASE_POOL_SIZE };
}
