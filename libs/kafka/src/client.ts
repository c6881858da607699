import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import './idle-request-queue';
import type { Logger } from '@touchstream/logging';
import type { KafkaSettings } from './config';

/**
 * kafkajs logs routine reconnects at INFO and ERROR alike; they go to debug/warn here so a
 * healthy service's log stays readable, while the structured fields are kept.
 */
function bridgeLogs(logger: Logger) {
  return () =>
    ({ level, label, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _kafkaLogger, ...fields } = log;
      const line = `kafkajs: ${String(message)}`;
      const context = { kafkaLabel: label, ...fields };
      // Retries are bounded on purpose: a caller (an HTTP request, a consumer batch) needs an
      // answer, and retries with the same deterministic ids; the warning says nothing new.
      if (String(message).startsWith('Limiting retries for the idempotent producer')) return logger.debug(line, context);
      if (level === logLevel.ERROR) logger.warn(line, context);
      else if (level === logLevel.WARN) logger.warn(line, context);
      else logger.debug(line, context);
    };
}

/**
 * The TLS and SASL part of a kafkajs client's configuration. A CA given replaces the system's
 * trust store (only brokers it signed are trusted); none given keeps it (public certificates).
 */
export function securityOptions(settings: Pick<KafkaSettings, 'tls' | 'sasl'>): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { tls, sasl } = settings;
  const ssl: KafkaConfig['ssl'] = tls
    ? tls.ca || tls.cert
      ? { rejectUnauthorized: true, ...(tls.ca ? { ca: [tls.ca] } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) }
      : true
    : undefined;
  // kafkajs's SASLOptions is a union keyed by the mechanism literal; ours are the same three.
  const login = sasl ? ({ mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as KafkaConfig['sasl']) : undefined;
  return { ...(ssl ? { ssl } : {}), ...(login ? { sasl: login } : {}) };
}

export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ...securityOptions(settings),
    connectionTimeout: settings.connectionTimeoutMs ?? 3_000,
    requestTimeout: settings.requestTimeoutMs ?? 30_000,
    logLevel: logger.isEnabled('debug') ? logLevel.INFO : logLevel.WARN,
    logCreator: bridgeLogs(logger.child({ component: 'kafkajs' })),
    retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
  });
}
