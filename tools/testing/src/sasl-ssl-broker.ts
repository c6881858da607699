import { readFileSync } from 'node:fs';
import { provideSaslSslBroker, type SaslSslBroker } from '@touchstream/local-infra';

export type { SaslSslBroker };

/** For a spec file: the SASL_SSL broker (see provideSaslSslBroker), logged like the global setup. */
export function saslSslBroker(): Promise<SaslSslBroker> {
  return provideSaslSslBroker((line) => process.stdout.write(`[test infrastructure] ${line}\n`));
}

export type SaslMechanismName = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** The environment a service needs to reach the broker over SASL_SSL, as an operator would set it. */
export function saslSslEnv(broker: SaslSslBroker, mechanism: SaslMechanismName = 'scram-sha-512'): Record<string, string> {
  return {
    KAFKA_BROKERS: broker.brokers,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: broker.caFile,
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: broker.username,
    KAFKA_SASL_PASSWORD_FILE: broker.passwordFile,
  };
}

/** The same, in the shape libs/kafka takes (this lib does not depend on it). */
export function saslSslKafkaSettings(
  broker: SaslSslBroker,
  mechanism: SaslMechanismName,
  topicPrefix: string,
  clientId = 'touchstream-test',
) {
  return {
    brokers: [broker.brokers],
    clientId,
    topicPrefix,
    tls: { ca: readFileSync(broker.caFile, 'utf8') },
    sasl: { mechanism, username: broker.username, password: readFileSync(broker.passwordFile, 'utf8').trim() },
  };
}
