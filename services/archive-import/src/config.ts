import { z } from 'zod';
import { emptyAsUndefined, parseSettings } from '@touchstream/contracts';
import {
  KAFKA_FILE_SETTINGS,
  kafkaConnectionEnv,
  kafkaConnectionProblems,
  kafkaSettingsFrom,
  type KafkaSettings,
} from '@touchstream/kafka';

/** The importer's environment, validated once at start. */
export interface ImportEnv {
  /** Where and how to reach Kafka: the services' settings, read and checked by the same rules. */
  kafka: KafkaSettings;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export type EnvResult = { ok: true; env: ImportEnv } | { ok: false; problems: string[] };

export const IMPORT_CLIENT_ID = 'touchstream-archive-import';

/**
 * The services' Kafka connection settings (libs/kafka's kafkaConnectionEnv: KAFKA_BROKERS, default
 * 127.0.0.1:19092; KAFKA_TOPIC_PREFIX; KAFKA_TOPIC_PARTITIONS and KAFKA_REPLICATION_FACTOR for
 * the topics an import creates; KAFKA_SSL, KAFKA_SSL_CA/_CERT/_KEY; KAFKA_SASL_MECHANISM,
 * KAFKA_SASL_USERNAME/_PASSWORD), and LOG_LEVEL (warn by default: the progress line is the
 * importer's own output).
 */
const importEnvSchema = z.object({
  ...kafkaConnectionEnv,
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['debug', 'info', 'warn', 'error']).default('warn')),
});

/**
 * The importer's settings, with every problem at once in the services' words: certificates and
 * credentials may be given as `<NAME>_FILE`, and a secret's value is never repeated.
 */
export function parseImportEnv(env: NodeJS.ProcessEnv): EnvResult {
  const parsed = parseSettings(importEnvSchema, env, { fileSettings: KAFKA_FILE_SETTINGS, together: kafkaConnectionProblems });
  if (!parsed.ok) return parsed;
  return { ok: true, env: { kafka: kafkaSettingsFrom(parsed.value, IMPORT_CLIENT_ID), logLevel: parsed.value.LOG_LEVEL } };
}
