import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTlsPostgres, type TlsPostgres } from '@touchstream/testing';
import { createDataSource, databaseConnection, describeDatabaseTlsFailure, ensureDatabase } from '@touchstream/database';

/** What the server says about this session's transport. */
async function sessionTls(url: string, ca?: string): Promise<{ ssl: boolean; version: string }> {
  await ensureDatabase(url, ca);
  const dataSource = createDataSource({ url, schema: 'tls_probe', poolSize: 1, ...(ca ? { sslCa: ca } : {}) }, []);
  await dataSource.initialize();
  try {
    const [row] = await dataSource.query<Array<{ ssl: boolean; version: string }>>(
      'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    return row ?? { ssl: false, version: '' };
  } finally {
    await dataSource.destroy();
  }
}

/** The one line a service's boot would stop with, for a connection attempt that failed. */
async function bootLine(url: string, ca?: string): Promise<string | undefined> {
  const error = await sessionTls(url, ca).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeDefined();
  return describeDatabaseTlsFailure(error, databaseConnection(url, ca), ca !== undefined);
}

describe('PostgreSQL over TLS (a throw-away ssl=on cluster that refuses plaintext)', () => {
  let server: TlsPostgres;
  let ca: string;

  beforeAll(async () => {
    server = await startTlsPostgres((line) => process.stdout.write(`[test infrastructure] ${line}\n`));
    ca = readFileSync(server.caFile, 'utf8');
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('sslmode=require encrypts without checking the certificate (libpq, not pg 8, semantics)', async () => {
    await expect(sessionTls(server.url('require'))).resolves.toMatchObject({ ssl: true, version: expect.stringMatching(/^TLSv1\.[23]$/) });
  });

  it('sslmode=verify-full with the CA file checks chain and host name', async () => {
    await expect(sessionTls(server.url('verify-full'), ca)).resolves.toMatchObject({ ssl: true });
    await expect(sessionTls(server.url('verify-full', 'localhost'), ca)).resolves.toMatchObject({ ssl: true });
    await expect(sessionTls(server.url(undefined), ca)).resolves.toMatchObject({ ssl: true });
  });

  it('sslmode=verify-ca checks the chain but not the host name; verify-full refuses a host the certificate does not name', async () => {
    await expect(sessionTls(server.url('verify-ca', '127.0.0.2'), ca)).resolves.toMatchObject({ ssl: true });
    await expect(bootLine(server.url('verify-full', '127.0.0.2'), ca)).resolves.toMatch(
      /certificate does not name the host in DATABASE_URL/,
    );
  });

  it('a CA that did not sign the server certificate fails with one line naming DATABASE_SSL_CA', async () => {
    await expect(bootLine(server.url('verify-full'), readFileSync(server.otherCaFile, 'utf8'))).resolves.toMatch(
      /^the PostgreSQL server's TLS certificate is not trusted by the CA in DATABASE_SSL_CA \(sslmode=verify-full, (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\): check DATABASE_SSL_CA$/,
    );
    await expect(bootLine(server.url('verify-full'))).resolves.toMatch(
      /not trusted by the system's trust store \(no DATABASE_SSL_CA set\)/,
    );
  });

  it('a plaintext connection is refused by the server, and the line says to set sslmode', async () => {
    await expect(bootLine(server.url())).resolves.toMatch(
      /^the PostgreSQL server accepts only TLS connections .*: set sslmode=require or verify-full in DATABASE_URL$/,
    );
  });
});
