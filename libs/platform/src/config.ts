import { resolve } from 'node:path';
import { z } from 'zod';
import { databaseConnection } from '@touchstream/database';
import { parseBrokers, SASL_MECHANISMS } from '@touchstream/kafka';
import { describeConfigIssues } from './config-problems';
import { emptyAsUndefined } from './empty-as-undefined';
import { resolveSecretFiles } from './secret-files';
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
 * problem: `<NAME>_FILE` settings are read first (secret-files.ts), and the settings that only make
 * sense together (TLS, SASL, DATABASE_URL's sslmode and its CA) are checked together.
 */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.output<T> {
  const files = resolveSecretFiles(env);
  const result = schema.safeParse(files.env);
  const problems = [
    ...files.problems,
    ...(result.success ? [] : describeConfigIssues(result.error.issues, files.env)),
    ...connectionProblems(files.env),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data as z.output<T>;
}

const isSet = (value: string | undefined): value is string => value !== undefined && value !== '';

/** Problems of Kafka's TLS and SASL settings and of DATABASE_URL's TLS, taken together. */
export function connectionProblems(env: NodeJS.ProcessEnv): string[] {
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

export { emptyAsUndefined };

/** 0 asks the OS for a free port (tests). */
export const portSchema = z.coerce.number().int().min(0).max(65_535);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
/** true/false, 1/0, yes/no. */
export const booleanText = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => ['true', '1', 'yes'].includes(value));
/** PEM text (from the variable itself or its _FILE): certificates, or a private key. */
const pem = (kind: 'CERTIFICATE' | 'PRIVATE KEY') =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine(
        (value) => new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(value),
        `must be PEM text (-----BEGIN ${kind}-----), or name a PEM file in the _FILE variable`,
      )
      .optional(),
  );
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
  KAFKA_TOPIC_PREFIX: optionalString,
  KAFKA_TOPIC_PARTITIONS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(1_000).optional()),
  KAFKA_REPLICATION_FACTOR: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(10).optional()),
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
  /**
   * TLS to the brokers: on when set true, or when a CA or client certificate is given. Without a
   * CA the system's trust store verifies the brokers; the certificate is always verified.
   */
  KAFKA_SSL: z.preprocess((value) => (typeof value === 'string' ? emptyAsUndefined(value.toLowerCase()) : value), booleanText.optional()),
  KAFKA_SSL_CA: pem('CERTIFICATE'),
  KAFKA_SSL_CERT: pem('CERTIFICATE'),
  KAFKA_SSL_KEY: pem('PRIVATE KEY'),
  KAFKA_SASL_MECHANISM: z.preprocess(
    (value) => (typeof value === 'string' ? emptyAsUndefined(value.toLowerCase()) : value),
    z.enum(SASL_MECHANISMS, { error: `must be one of ${SASL_MECHANISMS.join(', ')}` }).optional(),
  ),
  KAFKA_SASL_USERNAME: optionalString,
  KAFKA_SASL_PASSWORD: optionalString,
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
  DATABASE_SSL_CA: pem('CERTIFICATE'),
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
