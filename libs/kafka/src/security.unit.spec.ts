import { describe, expect, it } from 'vitest';
import { asAccessFailure, closedByBroker, KafkaAccessError, listenerMismatch } from './security';

const settings = {
  brokers: ['kafka:9093'],
  tls: { ca: 'pem' },
  sasl: { mechanism: 'scram-sha-512' as const, username: 'svc', password: 'pw' },
};

/** Shaped as kafkajs throws them: a retries-exceeded wrapper around the connection's error. */
function wrapped(inner: object): Error {
  return Object.assign(new Error('outer'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, cause: inner });
}

describe('asAccessFailure', () => {
  it('turns a refused SASL login into a KafkaAccessError naming the password setting, not the password', () => {
    const refused = asAccessFailure(
      { name: 'KafkaJSSASLAuthenticationError', message: 'SASL SCRAM SHA512 authentication failed: invalid credentials' },
      settings,
    );
    expect(refused).toBeInstanceOf(KafkaAccessError);
    expect(refused?.setting).toBe('KAFKA_SASL_PASSWORD');
    expect(refused?.message).toMatch(
      /^Kafka refused the SASL login \(scram-sha-512 as user "svc"\): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
    expect(refused?.message).not.toContain('pw)');
  });

  it('finds an untrusted certificate under kafkajs wrappers and names KAFKA_SSL_CA', () => {
    for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT']) {
      const refused = asAccessFailure(wrapped({ name: 'KafkaJSConnectionError', code, message: `Connection error: ${code}` }), settings);
      expect(refused?.setting).toBe('KAFKA_SSL_CA');
      expect(refused?.message).toContain(code);
    }
    expect(asAccessFailure({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: 'x' }, settings)?.setting).toBe('KAFKA_BROKERS');
    expect(asAccessFailure({ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'x' }, settings)?.setting).toBe('KAFKA_SSL');
  });

  it('names KAFKA_SSL when a TLS client is hung up on during the handshake (a plaintext listener), not when plaintext is reset', () => {
    const reset = {
      name: 'KafkaJSConnectionError',
      code: 'ECONNRESET',
      message: 'Client network socket disconnected before secure TLS connection was established',
    };
    expect(asAccessFailure(wrapped(reset), { ...settings, tls: {} })?.setting).toBe('KAFKA_SSL');
    expect(asAccessFailure(wrapped(reset), { ...settings, tls: undefined })).toBeUndefined();
    expect(asAccessFailure(wrapped({ ...reset, message: 'read ECONNRESET' }), { ...settings, tls: {} })).toBeUndefined();
  });

  it('leaves a broker that is merely down or slow alone', () => {
    expect(asAccessFailure(wrapped({ name: 'KafkaJSConnectionError', code: 'ECONNREFUSED' }), settings)).toBeUndefined();
    expect(asAccessFailure(new Error('Request timed out'), settings)).toBeUndefined();
  });
});

describe('listenerMismatch', () => {
  const closed = wrapped({ name: 'KafkaJSConnectionClosedError', message: 'Closed connection' });

  it('recognises a connection the broker closed under kafkajs wrappers, not one it refused', () => {
    expect(closedByBroker(closed)).toBe(true);
    expect(closedByBroker(wrapped({ name: 'KafkaJSConnectionError', code: 'ECONNREFUSED' }))).toBe(false);
  });

  it('names what the client leaves out: TLS, or the SASL login', () => {
    expect(listenerMismatch({ brokers: ['k:9093'] }, closed)?.setting).toBe('KAFKA_SSL');
    expect(listenerMismatch({ brokers: ['k:9093'], tls: {} }, closed)?.setting).toBe('KAFKA_SASL_MECHANISM');
    expect(listenerMismatch({ brokers: ['k:9093'], sasl: settings.sasl }, closed)?.setting).toBe('KAFKA_SSL');
    expect(listenerMismatch(settings, closed)).toBeUndefined();
    expect(listenerMismatch({ brokers: ['k:9093'], tls: {}, sasl: settings.sasl }, closed)?.message ?? '').not.toContain('pw');
  });
});
