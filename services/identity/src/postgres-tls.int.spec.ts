import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectServiceBootsAndStops,
  startServiceProcess,
  startTlsPostgres,
  testInfrastructure,
  testNamespace,
  type TlsPostgres,
} from '@touchstream/testing';

/**
 * The identity process against a PostgreSQL that accepts TLS only (a throw-away cluster with its
 * own CA): booting with sslmode=verify-full and the CA from a file, and refusing, in one line
 * naming the setting, a CA that did not sign the server's certificate.
 */
describe('identity process on PostgreSQL over TLS', () => {
  const namespace = testNamespace('identity-pgtls');
  let server: TlsPostgres;

  beforeAll(async () => {
    server = await startTlsPostgres((line) => process.stdout.write(`[test infrastructure] ${line}\n`));
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  const env = (overrides: Record<string, string>) => ({
    KAFKA_BROKERS: testInfrastructure().kafkaBrokers,
    KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
    IDENTITY_DB_SCHEMA: namespace.schema,
    LOG_LEVEL: 'warn',
    ...overrides,
  });

  it('boots with sslmode=verify-full and DATABASE_SSL_CA_FILE, creating its database and schema over TLS', async () => {
    await expectServiceBootsAndStops(
      'identity',
      env({ DATABASE_URL: server.url('verify-full').replace('/postgres?', '/touchstream?'), DATABASE_SSL_CA_FILE: server.caFile }),
      'IDENTITY_PORT',
    );
  });

  it('stops its boot with one line naming DATABASE_SSL_CA when the CA did not sign the server certificate', async () => {
    const failure = await startServiceProcess(
      'identity',
      env({ DATABASE_URL: server.url('verify-full'), DATABASE_SSL_CA_FILE: server.otherCaFile }),
      'IDENTITY_PORT',
    ).then(
      async (running) => {
        await running.stop();
        return '';
      },
      (error: unknown) => (error as Error).message,
    );
    expect(failure).toContain('identity exited with code 1 before it was ready');
    const errors = failure
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"level":"error"'))
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(errors).toEqual([
      expect.stringMatching(
        /^identity cannot start: the PostgreSQL server's TLS certificate is not trusted by the CA in DATABASE_SSL_CA .*check DATABASE_SSL_CA$/,
      ),
    ]);
  });
});
