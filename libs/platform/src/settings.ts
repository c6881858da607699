import type { DatabaseSettings } from '@touchstream/database';
import type { KafkaSettings, SaslMechanism } from '@touchstream/kafka';

interface KafkaEnv {
  KAFKA_BROKERS: string[];
  KAFKA_TOPIC_PREFIX?: string | undefined;
  KAFKA_TOPIC_PARTITIONS?: number | undefined;
  KAFKA_REPLICATION_FACTOR?: number | undefined;
  KAFKA_FETCH_MIN_BYTES?: number | undefined;
  KAFKA_FETCH_MAX_WAIT_MS?: number | undefined;
  KAFKA_CONSUMER_STUCK_AFTER_MS?: number | undefined;
  KAFKA_BOOT_TIMEOUT_MS?: number | undefined;
  KAFKA_SSL?: boolean | undefined;
  KAFKA_SSL_CA?: string | undefined;
  KAFKA_SSL_CERT?: string | undefined;
  KAFKA_SSL_KEY?: string | undefined;
  KAFKA_SASL_MECHANISM?: SaslMechanism | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
}

/** TLS is on when asked for, or implied by a CA or client certificate (loadConfig refused KAFKA_SSL=false with them). */
function kafkaTls(env: KafkaEnv): KafkaSettings['tls'] {
  if (!(env.KAFKA_SSL ?? (env.KAFKA_SSL_CA !== undefined || env.KAFKA_SSL_CERT !== undefined))) return undefined;
  return {
    ...(env.KAFKA_SSL_CA ? { ca: env.KAFKA_SSL_CA } : {}),
    ...(env.KAFKA_SSL_CERT && env.KAFKA_SSL_KEY ? { cert: env.KAFKA_SSL_CERT, key: env.KAFKA_SSL_KEY } : {}),
  };
}

function kafkaSasl(env: KafkaEnv): KafkaSettings['sasl'] {
  if (!env.KAFKA_SASL_MECHANISM || env.KAFKA_SASL_USERNAME === undefined || env.KAFKA_SASL_PASSWORD === undefined) return undefined;
  return { mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD };
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
    tls: kafkaTls(env),
    sasl: kafkaSasl(env),
  };
}

export function databaseSettingsFrom(
  env: { DATABASE_URL: string; DATABASE_POOL_SIZE: number; DATABASE_SSL_CA?: string | undefined },
  schema: string,
): DatabaseSettings {
  return {
    url: env.DATABASE_URL,
    schema,
    poolSize: env.DATABASE_POOL_SIZE,
    ...(env.DATABASE_SSL_CA ? { sslCa: env.DATABASE_SSL_CA } : {}),
  };
}
