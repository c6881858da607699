import { z } from 'zod';
import { parseBrokers } from '@touchstream/kafka';
import { describeConfigIssues } from './config-problems';

/** Raised at boot when the environment is wrong; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment against a service's schema once, at boot, failing fast. */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.output<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(describeConfigIssues(result.error.issues, env));
}

/** 0 asks the OS for a free port (tests). */
export const portSchema = z.coerce.number().int().min(0).max(65_535);
const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());

/** Settings every service shares; each has one documented name (README, configuration). */
export const commonEnv = {
  HOST: z.string().min(1).default('127.0.0.1'),
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
  /** Bearer token for the debug endpoints; when unset they answer 503 (disabled), never open. */
  DEBUG_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16, 'DEBUG_TOKEN must be at least 16 characters').optional()),
  /** Bearer token for state-changing admin endpoints (POST /admin/replay); when unset they answer 503. */
  ADMIN_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional()),
};

export const databaseEnv = {
  DATABASE_URL: z
    .string()
    .default('postgres://postgres@127.0.0.1:5432/touchstream')
    .refine((value) => /^postgres(ql)?:\/\//.test(value), 'DATABASE_URL must be a postgres:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
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
