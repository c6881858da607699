import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { TopicSpec } from '@touchstream/contracts';
import type { Logger } from '@touchstream/logging';
import { securityOptions } from './client';
import { topicName, type KafkaSettings } from './config';
import { asAccessFailure, closedByBroker, listenerMismatch } from './security';

/**
 * Creates the topics a service needs at boot, with their partitions and retention. Idempotent:
 * existing topics are left as they are (a retention mismatch is logged, not silently changed),
 * and two services racing to create the same topic both succeed.
 */
export async function provisionTopics(
  kafka: Kafka,
  settings: KafkaSettings,
  specs: readonly TopicSpec[],
  logger: Logger,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(topicName(settings, spec)));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: topicName(settings, spec),
          numPartitions: settings.partitions ?? spec.partitions,
          replicationFactor: settings.replicationFactor ?? 1,
          configEntries: [
            { name: 'retention.ms', value: String(spec.retentionMs) },
            { name: 'cleanup.policy', value: spec.cleanupPolicy },
          ],
        })),
      });
      logger.info('topics created', { topics: missing.map((spec) => topicName(settings, spec)) });
    }
    return specs.map((spec) => topicName(settings, spec));
  } finally {
    await admin.disconnect();
  }
}

/** Reads a topic's retention.ms as the broker reports it (for checks and the operations docs). */
export async function describeRetention(kafka: Kafka, topic: string): Promise<string | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }],
    });
    return resources[0]?.configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue;
  } finally {
    await admin.disconnect();
  }
}

/** Deletes topics (tests clean up their prefixed topics with it). */
export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect();
  }
}

/** An admin client of its own that asks once: no retries, no logs, every wait bounded by `timeoutMs`. */
function askOnceAdmin(settings: KafkaSettings, purpose: string, timeoutMs: number): Admin {
  return new Kafka({
    clientId: `${settings.clientId}-${purpose}`,
    brokers: settings.brokers,
    ...securityOptions(settings),
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
}

/**
 * True when a broker answers a metadata request within `timeoutMs`. For readiness probes, which
 * need a quick, current answer (kafkajs's producer still reports itself connected while every
 * broker is down): a client of its own, without retries and without logs, asks once.
 */
export async function brokerReachable(settings: KafkaSettings, timeoutMs: number): Promise<boolean> {
  const admin = askOnceAdmin(settings, 'probe', timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = (async () => {
    await admin.connect();
    await admin.describeCluster();
    return true;
  })().catch(() => false);
  try {
    return await Promise.race([probe, timedOut]);
  } finally {
    clearTimeout(timer);
    void probe.finally(() => admin.disconnect().catch(() => undefined));
  }
}

/** How often a broker must close the connection at the first request before it counts as a listener this client does not fit. */
const CLOSED_PROBES = 3;
const CLOSED_PROBE_PAUSE_MS = 300;

/**
 * Asks a broker, without retries, whether it accepts this client's TLS and SASL settings: throws
 * the KafkaAccessError of a refused login or an untrusted certificate (which kafkajs would
 * otherwise retry as if the broker were merely down), or of a listener that closes the connection
 * at every first request (it expects TLS or a SASL login this client does not use); returns
 * quietly on anything else (a broker that is not up yet is the bounded boot retries' business).
 */
export async function checkBrokerAccess(settings: KafkaSettings, timeoutMs: number): Promise<void> {
  for (let probe = 1; ; probe += 1) {
    const failure = await probeAccess(settings, timeoutMs);
    if (failure === undefined) return;
    const refused = asAccessFailure(failure, settings);
    if (refused) throw refused;
    const mismatch = closedByBroker(failure) ? listenerMismatch(settings, failure) : undefined;
    if (!mismatch) return;
    if (probe === CLOSED_PROBES) throw mismatch;
    await new Promise((resolve) => setTimeout(resolve, CLOSED_PROBE_PAUSE_MS));
  }
}

/** The error of one connect-and-describe, or undefined when the broker answered. */
async function probeAccess(settings: KafkaSettings, timeoutMs: number): Promise<unknown> {
  const admin = askOnceAdmin(settings, 'access', timeoutMs);
  try {
    await admin.connect();
    await admin.describeCluster();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
