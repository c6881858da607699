import { z } from 'zod';
import { commonEnv, databaseEnv, emptyAsUndefined, outboxEnv, portSchema, schemaNameSchema } from '@touchstream/platform';

const intSetting = (min: number, max: number, fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(min).max(max).default(fallback));

/** Validated once at boot; every setting has one documented name (docs/decisions/0006-identity.md). */
export const identityConfigSchema = z.object({
  ...commonEnv,
  ...databaseEnv,
  ...outboxEnv,
  IDENTITY_PORT: portSchema.default(3001),
  IDENTITY_DB_SCHEMA: schemaNameSchema.default('identity'),
  /**
   * The consumer group on the raw topic, also the key of the consumed positions stored with the
   * projection. A new name replays the raw topic from offset 0 into the same projection.
   */
  IDENTITY_CONSUMER_GROUP: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z0-9._-]{1,100}$/, 'must be a lower-case group name')
      .default('identity'),
  ),
  /** Raw-topic partitions handled at once (each batch is one transaction). */
  IDENTITY_CONSUMER_CONCURRENCY: intSetting(1, 32, 3),
  /**
   * How long the broker waits for a silent member (a killed process) before rebalancing its
   * partitions: a killed instance's partitions stand still this long (docs/operations.md,
   * "Recovery after a killed consumer"). A batch is one short transaction and heartbeats go out
   * between batches and retries, so 10 s leaves room.
   */
  IDENTITY_CONSUMER_SESSION_TIMEOUT_MS: intSetting(6_000, 300_000, 10_000),
  /** Timeline entries whose event time is older than this are purged (and not written). */
  IDENTITY_TIMELINE_RETENTION_DAYS: intSetting(1, 36_500, 90),
  /** How often the purge runs. */
  IDENTITY_TIMELINE_PURGE_INTERVAL_MINUTES: intSetting(1, 10_080, 60),
});
export type IdentityConfig = z.output<typeof identityConfigSchema>;

/** DI token of the validated IdentityConfig. */
export const IDENTITY_CONFIG = Symbol('IDENTITY_CONFIG');
