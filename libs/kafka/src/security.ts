import { FatalError } from './errors';
import { isUntrustedCertificate } from '@touchstream/contracts';

/** The SASL mechanisms the services speak (what Confluent Cloud, MSK, Aiven and Redpanda offer). */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/**
 * TLS to the brokers. Without a CA the system's trust store verifies them (managed Kafka with a
 * public certificate); with one, only that CA is trusted. A client certificate and key make it mTLS.
 * The broker's certificate is always verified, host name included: there is no switch to skip it.
 */
export interface KafkaTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface KafkaSasl {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/**
 * The broker refused this client's credentials or this client refused the broker's certificate:
 * no retry can change that, so a service stops its boot with this one line, naming the setting
 * to fix, instead of retrying forever.
 */
export class KafkaAccessError extends FatalError {
  constructor(
    readonly setting: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KafkaAccessError';
  }
}

/** kafkajs protocol error types of a refused SASL handshake or authentication. */
const SASL_REFUSALS = new Set(['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE']);

/** Node's words for a connection closed by the server before the TLS handshake finished. */
const TLS_HANDSHAKE_RESET = /before secure TLS connection was established/;

function* causes(error: unknown): Generator<{ name?: unknown; code?: unknown; type?: unknown; message?: unknown }> {
  const seen = new Set<unknown>();
  let current = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/** The part of kafkajs's message worth repeating (it prefixes connection errors with its own words). */
function brokerSaid(message: unknown): string {
  return (typeof message === 'string' ? message : '').replace(/^(Connection error|Failed to connect): /, '');
}

/**
 * The KafkaAccessError an error amounts to, when it is an authentication or certificate failure;
 * undefined for anything else (a broker that is down or still starting stays retriable).
 */
export function asAccessFailure(
  error: unknown,
  settings: { brokers: string[]; tls?: KafkaTls; sasl?: KafkaSasl },
): KafkaAccessError | undefined {
  if (error instanceof KafkaAccessError) return error;
  for (const candidate of causes(error)) {
    const { code, type, name } = candidate;
    if (name === 'KafkaJSSASLAuthenticationError' || (typeof type === 'string' && SASL_REFUSALS.has(type))) {
      const who = settings.sasl ? `${settings.sasl.mechanism} as user "${settings.sasl.username}"` : 'SASL';
      return new KafkaAccessError(
        'KAFKA_SASL_PASSWORD',
        `Kafka refused the SASL login (${who}): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (broker: ${brokerSaid(candidate.message)})`,
        { cause: error },
      );
    }
    if (type === 'UNSUPPORTED_SASL_MECHANISM') {
      return new KafkaAccessError(
        'KAFKA_SASL_MECHANISM',
        `the broker does not offer KAFKA_SASL_MECHANISM=${settings.sasl?.mechanism ?? '(none)'} on ${settings.brokers.join(', ')}`,
        { cause: error },
      );
    }
    if (typeof code !== 'string') continue;
    if (isUntrustedCertificate(code)) {
      const trusted = settings.tls?.ca ? 'the CA in KAFKA_SSL_CA' : "the system's trust store (no KAFKA_SSL_CA set)";
      return new KafkaAccessError(
        'KAFKA_SSL_CA',
        `the Kafka broker's TLS certificate is not trusted by ${trusted}: check KAFKA_SSL_CA (${code}: ${brokerSaid(candidate.message)})`,
        { cause: error },
      );
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return new KafkaAccessError(
        'KAFKA_BROKERS',
        `the Kafka broker's TLS certificate does not name the host in KAFKA_BROKERS (${brokerSaid(candidate.message)})`,
        { cause: error },
      );
    }
    // A Kafka PLAINTEXT listener reads a TLS hello as an oversized request and hangs up, so Node
    // reports a reset during the handshake rather than a wrong TLS version.
    const hungUpInHandshake = code === 'ECONNRESET' && settings.tls !== undefined && TLS_HANDSHAKE_RESET.test(String(candidate.message));
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || hungUpInHandshake) {
      return new KafkaAccessError(
        'KAFKA_SSL',
        `KAFKA_SSL is on but ${settings.brokers.join(', ')} does not speak TLS (a PLAINTEXT or SASL_PLAINTEXT listener?)`,
        { cause: error },
      );
    }
    if (code.startsWith('ERR_SSL_') && /CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA/i.test(code)) {
      return new KafkaAccessError(
        'KAFKA_SSL_CERT',
        `the Kafka broker refused this client's certificate: check KAFKA_SSL_CERT and KAFKA_SSL_KEY (${code})`,
        { cause: error },
      );
    }
  }
  return undefined;
}

/** The broker accepted the TCP connection and closed it instead of answering. */
export function closedByBroker(error: unknown): boolean {
  for (const candidate of causes(error)) if (candidate.name === 'KafkaJSConnectionClosedError') return true;
  return false;
}

/**
 * A listener that closes the connection at a client's first request expects what the client does
 * not do: TLS, or a SASL login. Which setting to look at follows from what this client leaves
 * out; with both TLS and SASL on there is no such guess to make (undefined).
 */
export function listenerMismatch(
  settings: { brokers: string[]; tls?: KafkaTls; sasl?: KafkaSasl },
  error: unknown,
): KafkaAccessError | undefined {
  const brokers = settings.brokers.join(', ');
  const closes = `${brokers} closes the connection at this client's first request`;
  if (!settings.tls && !settings.sasl) {
    return new KafkaAccessError(
      'KAFKA_SSL',
      `${closes} (no TLS, no SASL): does its listener expect TLS (KAFKA_SSL) or a SASL login (KAFKA_SASL_MECHANISM)?`,
      { cause: error },
    );
  }
  if (!settings.sasl) {
    return new KafkaAccessError(
      'KAFKA_SASL_MECHANISM',
      `${closes} (TLS, no SASL login): does its listener expect a SASL login (KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)?`,
      { cause: error },
    );
  }
  if (!settings.tls) {
    return new KafkaAccessError('KAFKA_SSL', `${closes} (SASL login without TLS): does its listener expect TLS (KAFKA_SSL)?`, {
      cause: error,
    });
  }
  return undefined;
}
