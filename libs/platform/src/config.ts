import { resolve } from 'node:path';
import { z } from 'zod';
import { booleanText, emptyAsUndefined, isSet, parseSettings, pemText } from '@touchstream/contracts';
import { databaseConnection } from '@touchstream/database';
import { kafkaConnectionEnv, kafkaConnectionProblems } from '@touchstream/kafka';
import { tracingEnv } from './tracing/tracing-config';

/** Raised at boot when the environment is wrong; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment against a service's schema once, at boot, failing fast with every
 * problem (libs/contracts' parseSettings, as the CLIs do): `<NAME>_FILE` settings are read first,
 * and the settings that only make sense together (TLS, SASL, DATABASE_URL's sslmode and its CA)
 * are checked together.
 */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.output<T> {
  const result = parseSettings(schema, env, { together: connectionProblems });
  if (!result.ok) throw new ConfigError(result.problems);
  return result.value;
}

/** Problems of Kafka's TLS and SASL settings and of DATABASE_URL's TLS, taken together. */
export function connectionProblems(env: NodeJS.ProcessEnv): string[] {
  const problems = kafkaConnectionProblems(env);
  const url = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  // A URL that is not postgres:// at all is DATABASE_URL's own problem (databaseEnv).
  if ((isSet(env.DATABASE_URL) || isSet(env.DATABASE_SSL_CA)) && /^postgres(ql)?:\/\//.test(url)) {
    try {
      databaseConnection(url, isSet(env.DATABASE_SSL_CA) ? env.DATABASE_SSL_CA : undefined);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}

export { booleanText, emptyAsUndefined };

/** 0 asks the OS for a free port (tests). */
export const portSchema = z.coerce.number().int().min(0).max(65_535);
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/touchstream';

/** Settings every service shares; each has one documented name (README, configuration). */
export const commonEnv = {
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * The one folder a service may write to (the sink's dry-run file is the only file written today);
   * the application folder can then be read-only. Relative to the working directory; the image
   * sets /data. Resolved once at boot, so a later chdir cannot move it.
   */
  DATA_DIR: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('.cache')
      .transform((value) => resolve(value)),
  ),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  KAFKA_BROKERS: kafkaConnectionEnv.KAFKA_BROKERS,
  KAFKA_TOPIC_PREFIX: kafkaConnectionEnv.KAFKA_TOPIC_PREFIX,
  KAFKA_TOPIC_PARTITIONS: kafkaConnectionEnv.KAFKA_TOPIC_PARTITIONS,
  KAFKA_REPLICATION_FACTOR: kafkaConnectionEnv.KAFKA_REPLICATION_FACTOR,
  /**
   * A consumer's fetch returns once this much data is there or the wait has passed: light live
   * traffic is then applied in fewer, larger batches, each stage at most the wait later; a backlog
   * fills the fetch at once (docs/operations.md, "latency and batching").
   */
  KAFKA_FETCH_MIN_BYTES: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .min(1)
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
  ),
  KAFKA_FETCH_MAX_WAIT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10_000).default(200)),
  /**
   * A consumer partition holding messages it has not applied, whose position has not moved for
   * this long (its handler failing and retrying, or hanging), makes the service not ready and is
   * named by /ready (docs/operations.md, "Health and metrics"). 3 minutes: longer than a database
   * failover or a batch, short enough to hear of a stall.
   */
  KAFKA_CONSUMER_STUCK_AFTER_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1_000).max(86_400_000).default(180_000)),
  /**
   * How long a booting service retries a broker that is not there or not ready yet (provisioning,
   * producer, consumers joining) before it gives up and exits (docs/operations.md).
   */
  KAFKA_BOOT_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1_000).max(3_600_000).default(60_000)),
  /** TLS and SASL to the brokers (libs/kafka's kafka-env.ts says what each means). */
  KAFKA_SSL: kafkaConnectionEnv.KAFKA_SSL,
  KAFKA_SSL_CA: kafkaConnectionEnv.KAFKA_SSL_CA,
  KAFKA_SSL_CERT: kafkaConnectionEnv.KAFKA_SSL_CERT,
  KAFKA_SSL_KEY: kafkaConnectionEnv.KAFKA_SSL_KEY,
  KAFKA_SASL_MECHANISM: kafkaConnectionEnv.KAFKA_SASL_MECHANISM,
  KAFKA_SASL_USERNAME: kafkaConnectionEnv.KAFKA_SASL_USERNAME,
  KAFKA_SASL_PASSWORD: kafkaConnectionEnv.KAFKA_SASL_PASSWORD,
  /** Bearer token for the debug endpoints; when unset they answer 503 (disabled), never open. */
  DEBUG_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16, 'DEBUG_TOKEN must be at least 16 characters').optional()),
  /** Bearer token for state-changing admin endpoints (POST /admin/replay); when unset they answer 503. */
  ADMIN_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional()),
  /** OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT and friends): off unless an endpoint is set. */
  ...tracingEnv,
};

export const databaseEnv = {
  DATABASE_URL: z
    .string()
    .default(DEFAULT_DATABASE_URL)
    .refine((value) => /^postgres(ql)?:\/\//.test(value), 'DATABASE_URL must be a postgres:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** PEM CA the server's certificate must chain to (sslmode=verify-ca / verify-full; require then verifies too). */
  DATABASE_SSL_CA: pemText('CERTIFICATE'),
};

/** Settings of a service that publishes through a transactional outbox (identity, attribution). */
export const outboxEnv = {
  /**
   * 0 (default): an outbox row is deleted once the broker acknowledged it. More: rows are marked
   * sent and kept this many minutes, to look at what a service published (costs Postgres more).
   */
  OUTBOX_KEEP_SENT_MINUTES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10_080).default(0)),
};

/** A Postgres schema name: each service owns one (overridable so tests can isolate). */
export const schemaNameSchema = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier');
