import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resolveSecretFiles } from '@touchstream/contracts';
import { commonEnv, ConfigError, databaseEnv, loadConfig } from './config';
import { databaseSettingsFrom, kafkaSettingsFrom } from './settings';

const schema = z.object({ ...commonEnv, ...databaseEnv });
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'secret-')), 'value');
  writeFileSync(path, content);
  return path;
}

describe('<NAME>_FILE settings', () => {
  it('reads the value from the file, dropping the trailing newline', () => {
    const config = loadConfig(schema, {
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD_FILE: file('s3cret\n'),
    });
    expect(kafkaSettingsFrom(config, 'test').sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: 's3cret' });
  });

  it('names the setting of a file that cannot be read, without its value, beside every other problem', () => {
    const problems = problemsOf({
      KAFKA_SASL_PASSWORD_FILE: '/nonexistent/password',
      DATABASE_SSL_CA_FILE: file(''),
      DEBUG_TOKEN: 'x',
      DEBUG_TOKEN_FILE: file('a-token-long-enough'),
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'KAFKA_SASL_PASSWORD_FILE: cannot read /nonexistent/password (ENOENT)',
        expect.stringMatching(/^DATABASE_SSL_CA_FILE: .* is empty$/),
        'DEBUG_TOKEN_FILE: set DEBUG_TOKEN or DEBUG_TOKEN_FILE, not both',
      ]),
    );
  });

  it('leaves other settings ending in _FILE alone (SINK_DRY_RUN_FILE is a path to write)', () => {
    const { env, problems } = resolveSecretFiles(
      { SINK_DRY_RUN_FILE: '/nonexistent/out.ndjson' },
      {
        read: () => {
          throw new Error('not read');
        },
      },
    );
    expect(problems).toEqual([]);
    expect(env).toEqual({ SINK_DRY_RUN_FILE: '/nonexistent/out.ndjson' });
  });
});

describe('Kafka TLS and SASL settings', () => {
  it('are off by default: plaintext, no login', () => {
    const settings = kafkaSettingsFrom(loadConfig(schema, {}), 'test');
    expect(settings.tls).toBeUndefined();
    expect(settings.sasl).toBeUndefined();
  });

  it('turn TLS on with the system trust store (KAFKA_SSL=true), or with a CA, and mTLS with a certificate and key', () => {
    expect(kafkaSettingsFrom(loadConfig(schema, { KAFKA_SSL: 'TRUE' }), 'test').tls).toEqual({});
    expect(kafkaSettingsFrom(loadConfig(schema, { KAFKA_SSL_CA: CA }), 'test').tls).toEqual({ ca: CA });
    const mtls = kafkaSettingsFrom(
      loadConfig(schema, { KAFKA_SSL_CA_FILE: file(CA), KAFKA_SSL_CERT: CA, KAFKA_SSL_KEY_FILE: file(KEY) }),
      'test',
    );
    expect(mtls.tls).toEqual({ ca: CA.trimEnd(), cert: CA, key: KEY.trimEnd() });
  });

  it('lists every inconsistency at once, each naming its setting', () => {
    const problems = problemsOf({
      KAFKA_SSL: 'false',
      KAFKA_SSL_CA: 'not a pem',
      KAFKA_SSL_CERT: CA,
      KAFKA_SASL_MECHANISM: 'scram-sha-1',
      KAFKA_SASL_USERNAME: 'svc',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^KAFKA_SSL_CA: must be PEM text/),
        'KAFKA_SSL_KEY: a client certificate (mTLS) needs both KAFKA_SSL_CERT and KAFKA_SSL_KEY',
        'KAFKA_SSL: is false, but KAFKA_SSL_CA or KAFKA_SSL_CERT is set',
        'KAFKA_SASL_MECHANISM: must be one of plain, scram-sha-256, scram-sha-512',
        'KAFKA_SASL_PASSWORD: KAFKA_SASL_MECHANISM=scram-sha-1 needs KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)',
      ]),
    );
    expect(problemsOf({ KAFKA_SASL_PASSWORD: 'p' })).toEqual([
      expect.stringMatching(/^KAFKA_SASL_MECHANISM: a SASL user is set but no mechanism/),
    ]);
  });

  it('never puts a secret into a problem', () => {
    const problems = problemsOf({ KAFKA_SASL_PASSWORD: 'hunter2-secret', KAFKA_SASL_USERNAME: 'svc' });
    expect(problems.join('\n')).not.toContain('hunter2-secret');
  });
});

describe('DATABASE_URL TLS settings', () => {
  it('hands the CA to the database settings', () => {
    const config = loadConfig(schema, { DATABASE_URL: 'postgres://u@db:5432/x?sslmode=verify-full', DATABASE_SSL_CA_FILE: file(CA) });
    expect(databaseSettingsFrom(config, 'identity')).toMatchObject({
      url: 'postgres://u@db:5432/x?sslmode=verify-full',
      sslCa: CA.trimEnd(),
    });
  });

  it('refuses sslmodes pg cannot honour and a CA with TLS off, naming the setting', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://u@db/x?sslmode=prefer' })).toEqual([
      expect.stringMatching(/^DATABASE_URL: sslmode=prefer is not supported/),
    ]);
    expect(problemsOf({ DATABASE_URL: 'postgres://u@db/x?sslmode=verify-ca' })).toEqual([
      expect.stringMatching(/^DATABASE_URL: sslmode=verify-ca needs the CA/),
    ]);
    expect(problemsOf({ DATABASE_URL: 'postgres://u@db/x?sslmode=disable', DATABASE_SSL_CA: CA })).toEqual([
      'DATABASE_SSL_CA is set but DATABASE_URL has sslmode=disable',
    ]);
    expect(problemsOf({ DATABASE_URL: 'postgres://u@db/x?sslrootcert=/ca.pem' })).toEqual([
      expect.stringMatching(/^DATABASE_URL: sslrootcert is not read from the URL/),
    ]);
  });
});
