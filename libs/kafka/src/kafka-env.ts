import { z } from 'zod';
import { booleanText, emptyAsUndefined, FILE_SETTINGS, isSet, optionalText, pemText } from '@touchstream/contracts';
import { parseBrokers, type KafkaSettings } from './config';
import { SASL_MECHANISMS, type SaslMechanism } from './security';

/** Kafka's legal topic characters: the prefix becomes part of every topic and group name. */
const TOPIC_PREFIX = /^[a-zA-Z0-9._-]{1,200}$/;

const lowerCased = (value: unknown) => (typeof value === 'string' ? emptyAsUndefined(value.toLowerCase()) : value);

/**
 * How every program that talks to Kafka (the services, the archive importer) reaches it and names
 * its topics, each setting with one documented name (README, "Configuration"). The services add
 * their consumers' settings (libs/platform's commonEnv); the rules of the TLS and SASL settings
 * taken together are kafkaConnectionProblems.
 */
export const kafkaConnectionEnv = {
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:19092')
    .transform((value, ctx) => {
      try {
        return parseBrokers(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  KAFKA_TOPIC_PREFIX: z.preprocess(
    emptyAsUndefined,
    z.string().regex(TOPIC_PREFIX, 'may only contain letters, digits, ".", "_" and "-" (at most 200)').optional(),
  ),
  KAFKA_TOPIC_PARTITIONS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(1_000).optional()),
  KAFKA_REPLICATION_FACTOR: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(10).optional()),
  /**
   * TLS to the brokers: on when set true, or when a CA or client certificate is given. Without a
   * CA the system's trust store verifies the brokers; the certificate is always verified.
   */
  KAFKA_SSL: z.preprocess(lowerCased, booleanText.optional()),
  KAFKA_SSL_CA: pemText('CERTIFICATE'),
  KAFKA_SSL_CERT: pemText('CERTIFICATE'),
  KAFKA_SSL_KEY: pemText('PRIVATE KEY'),
  KAFKA_SASL_MECHANISM: z.preprocess(
    lowerCased,
    z.enum(SASL_MECHANISMS, { error: `must be one of ${SASL_MECHANISMS.join(', ')}` }).optional(),
  ),
  KAFKA_SASL_USERNAME: optionalText,
  KAFKA_SASL_PASSWORD: optionalText,
};

/** The Kafka settings that may be read from a file instead (`<NAME>_FILE`): certificates and credentials. */
export const KAFKA_FILE_SETTINGS = FILE_SETTINGS.filter((name) => name.startsWith('KAFKA_'));

/** Problems of the TLS and SASL settings taken together (on the environment with its _FILE settings read). */
export function kafkaConnectionProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const ssl = env.KAFKA_SSL?.toLowerCase();
  if (isSet(env.KAFKA_SSL_CERT) !== isSet(env.KAFKA_SSL_KEY)) {
    problems.push(
      `${isSet(env.KAFKA_SSL_CERT) ? 'KAFKA_SSL_KEY' : 'KAFKA_SSL_CERT'}: a client certificate (mTLS) needs both KAFKA_SSL_CERT and KAFKA_SSL_KEY`,
    );
  }
  if ((ssl === 'false' || ssl === '0' || ssl === 'no') && (isSet(env.KAFKA_SSL_CA) || isSet(env.KAFKA_SSL_CERT))) {
    problems.push('KAFKA_SSL: is false, but KAFKA_SSL_CA or KAFKA_SSL_CERT is set');
  }
  if (isSet(env.KAFKA_SASL_MECHANISM)) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
      if (!isSet(env[name])) problems.push(`${name}: KAFKA_SASL_MECHANISM=${env.KAFKA_SASL_MECHANISM} needs ${name} (or ${name}_FILE)`);
    }
  } else if (isSet(env.KAFKA_SASL_USERNAME) || isSet(env.KAFKA_SASL_PASSWORD)) {
    problems.push(`KAFKA_SASL_MECHANISM: a SASL user is set but no mechanism (${SASL_MECHANISMS.join(', ')})`);
  }
  return problems;
}

/** The validated Kafka settings (kafkaConnectionEnv, and a service's consumer settings when it has them). */
export interface KafkaEnv {
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

/** TLS is on when asked for, or implied by a CA or client certificate (kafkaConnectionProblems refused KAFKA_SSL=false with them). */
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
