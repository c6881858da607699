import type { DatabaseSettings } from '@touchstream/database';

/** The services derive their KafkaSettings as the CLIs do (libs/kafka's kafka-env.ts). */
export { kafkaSettingsFrom } from '@touchstream/kafka';

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
