import { parseBrokers } from '@touchstream/kafka';

/** The importer's environment, validated once at start. */
export interface ImportEnv {
  brokers: string[];
  topicPrefix: string | undefined;
  partitions: number | undefined;
  replicationFactor: number | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export type EnvResult = { ok: true; env: ImportEnv } | { ok: false; problems: string[] };

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** Kafka's legal topic characters; the prefix becomes part of every topic name. */
const TOPIC_PREFIX = /^[a-zA-Z0-9._-]{1,200}$/;

function optionalInt(env: NodeJS.ProcessEnv, name: string, min: number, max: number, problems: string[]): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max} (got "${text}")`);
    return undefined;
  }
  return value;
}

/**
 * KAFKA_BROKERS (default 127.0.0.1:19092, as the services), KAFKA_TOPIC_PREFIX (isolates a run's
 * topics), KAFKA_TOPIC_PARTITIONS and KAFKA_REPLICATION_FACTOR (for topics the import creates),
 * LOG_LEVEL. Lists every problem at once.
 */
export function parseImportEnv(env: NodeJS.ProcessEnv): EnvResult {
  const problems: string[] = [];
  let brokers: string[] = [];
  try {
    brokers = parseBrokers(env.KAFKA_BROKERS || '127.0.0.1:19092');
  } catch (error) {
    problems.push((error as Error).message);
  }
  const prefix = env.KAFKA_TOPIC_PREFIX || undefined;
  if (prefix !== undefined && !TOPIC_PREFIX.test(prefix))
    problems.push(`KAFKA_TOPIC_PREFIX "${prefix}" may only contain letters, digits, ".", "_" and "-"`);
  const partitions = optionalInt(env, 'KAFKA_TOPIC_PARTITIONS', 1, 1000, problems);
  const replicationFactor = optionalInt(env, 'KAFKA_REPLICATION_FACTOR', 1, 10, problems);
  const level = env.LOG_LEVEL || 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, env: { brokers, topicPrefix: prefix, partitions, replicationFactor, logLevel: level as ImportEnv['logLevel'] } };
}
