import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, ConfigError, loadConfig } from '@touchstream/platform';
import { parseImportEnv } from './config';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  const result = parseImportEnv(env);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

/** What a service says of the same environment. */
function serviceProblems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(z.object(commonEnv), env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('parseImportEnv', () => {
  it('applies defaults: the local broker in plaintext, no login', () => {
    const result = parseImportEnv({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.env.logLevel).toBe('warn');
    expect(result.env.kafka).toMatchObject({ brokers: ['127.0.0.1:19092'], clientId: 'touchstream-archive-import' });
    expect(result.env.kafka.tls).toBeUndefined();
    expect(result.env.kafka.sasl).toBeUndefined();
    expect(result.env.kafka.topicPrefix).toBeUndefined();
  });

  it('reads every setting, TLS and SASL as the services do', () => {
    const result = parseImportEnv({
      KAFKA_BROKERS: 'a:1, b:2',
      KAFKA_TOPIC_PREFIX: 'demo.run-1',
      KAFKA_TOPIC_PARTITIONS: '3',
      KAFKA_REPLICATION_FACTOR: '1',
      KAFKA_SSL: 'TRUE',
      KAFKA_SSL_CA: CA,
      KAFKA_SSL_CERT: CA,
      KAFKA_SSL_KEY: KEY,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'importer',
      KAFKA_SASL_PASSWORD: 's3cret',
      LOG_LEVEL: 'debug',
    });
    expect(result).toEqual({
      ok: true,
      env: {
        logLevel: 'debug',
        kafka: expect.objectContaining({
          brokers: ['a:1', 'b:2'],
          topicPrefix: 'demo.run-1',
          partitions: 3,
          replicationFactor: 1,
          tls: { ca: CA, cert: CA, key: KEY },
          sasl: { mechanism: 'scram-sha-512', username: 'importer', password: 's3cret' },
        }),
      },
    });
  });

  it('reads certificates and credentials from <NAME>_FILE, and only the Kafka ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-env-'));
    writeFileSync(join(dir, 'ca.pem'), CA);
    writeFileSync(join(dir, 'password'), 's3cret\n');
    const result = parseImportEnv({
      KAFKA_SSL_CA_FILE: join(dir, 'ca.pem'),
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'importer',
      KAFKA_SASL_PASSWORD_FILE: join(dir, 'password'),
      // A service's secret the importer does not read: its file is not opened.
      ADMIN_TOKEN_FILE: join(dir, 'missing'),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.env.kafka.tls).toEqual({ ca: CA.trimEnd() });
    expect(result.env.kafka.sasl).toEqual({ mechanism: 'plain', username: 'importer', password: 's3cret' });
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      KAFKA_BROKERS: 'nohost',
      KAFKA_TOPIC_PREFIX: 'bad prefix!',
      KAFKA_TOPIC_PARTITIONS: 'many',
      LOG_LEVEL: 'loud',
      KAFKA_SSL_CERT: CA,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'importer',
    });
    expect(problems).toEqual([
      'KAFKA_BROKERS entry "nohost" is not host:port',
      'KAFKA_TOPIC_PREFIX: may only contain letters, digits, ".", "_" and "-" (at most 200) (got "bad prefix!")',
      'KAFKA_TOPIC_PARTITIONS must be a number, got "many"',
      'LOG_LEVEL must be one of debug, info, warn, error, got "loud"',
      'KAFKA_SSL_KEY: a client certificate (mTLS) needs both KAFKA_SSL_CERT and KAFKA_SSL_KEY',
      'KAFKA_SASL_PASSWORD: KAFKA_SASL_MECHANISM=scram-sha-256 needs KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)',
    ]);
  });

  it("refuses the Kafka settings in the services' words", () => {
    const env = {
      KAFKA_BROKERS: 'nohost',
      KAFKA_TOPIC_PARTITIONS: '0',
      KAFKA_SSL: 'false',
      KAFKA_SSL_CA: 'not a certificate',
      KAFKA_SASL_MECHANISM: 'gssapi',
      KAFKA_SASL_PASSWORD_FILE: '/nonexistent/password',
    };
    const problems = problemsOf(env);
    expect(problems.map((problem) => problem.split(/[ :]/)[0])).toEqual([
      'KAFKA_SASL_PASSWORD_FILE',
      'KAFKA_BROKERS',
      'KAFKA_TOPIC_PARTITIONS',
      'KAFKA_SSL_CA',
      'KAFKA_SASL_MECHANISM',
      'KAFKA_SSL',
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_PASSWORD',
    ]);
    expect(serviceProblems(env)).toEqual(problems);
  });

  it('never repeats a secret', () => {
    const problems = problemsOf({ KAFKA_SASL_PASSWORD: 'hunter2-hunter2', KAFKA_SSL_KEY: 'hunter3-key', KAFKA_SASL_MECHANISM: 'kerberos' });
    expect(problems.join('\n')).not.toMatch(/hunter/);
    expect(problems.join('\n')).toMatch(/KAFKA_SSL_KEY/);
  });
});
