import { describe, expect, it } from 'vitest';
import { databaseConnection, describeDatabaseTlsFailure } from './database-tls';
import { describePoolerRefusal, sessionSettingsProblem } from './session-settings';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

describe('databaseConnection (libpq sslmode semantics, not pg 8 aliases)', () => {
  it('uses no TLS without sslmode or a CA, and for sslmode=disable', () => {
    expect(databaseConnection('postgres://u@db/x')).toEqual({ connectionString: 'postgres://u@db/x', ssl: false, sslMode: 'disable' });
    expect(databaseConnection('postgres://u@db/x?sslmode=disable').ssl).toBe(false);
  });

  it('encrypts without checking the certificate for require, and checks the chain when a CA is given', () => {
    expect(databaseConnection('postgres://u@db/x?sslmode=require&application_name=a')).toEqual({
      connectionString: 'postgres://u@db/x?application_name=a',
      ssl: { rejectUnauthorized: false },
      sslMode: 'require',
    });
    const withCa = databaseConnection('postgres://u@db/x?sslmode=require', CA).ssl;
    expect(withCa).toMatchObject({ rejectUnauthorized: true, ca: CA });
    expect(withCa && withCa.checkServerIdentity?.()).toBeUndefined();
  });

  it('checks chain and host name for verify-full, with the CA given or the system store', () => {
    expect(databaseConnection('postgres://u@db/x?sslmode=verify-full').ssl).toEqual({ rejectUnauthorized: true });
    expect(databaseConnection('postgres://u@db/x?sslmode=verify-full', CA).ssl).toEqual({ rejectUnauthorized: true, ca: CA });
    expect(databaseConnection('postgres://u@db/x', CA).sslMode).toBe('verify-full');
  });

  it('checks only the chain for verify-ca', () => {
    const ssl = databaseConnection('postgres://u@db/x?sslmode=verify-ca', CA).ssl;
    expect(ssl).toMatchObject({ rejectUnauthorized: true, ca: CA, checkServerIdentity: expect.any(Function) });
  });
});

describe('boot failures as one line', () => {
  it('names DATABASE_SSL_CA for an untrusted server certificate', () => {
    const line = describeDatabaseTlsFailure(
      { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' },
      { sslMode: 'verify-full' },
      true,
    );
    expect(line).toMatch(/not trusted by the CA in DATABASE_SSL_CA .*check DATABASE_SSL_CA$/);
    expect(describeDatabaseTlsFailure(new Error('connect ECONNREFUSED'), { sslMode: 'require' }, false)).toBeUndefined();
  });

  it('refuses a session whose startup options a pooler dropped', () => {
    expect(sessionSettingsProblem({ synchronous_commit: 'on', jit: 'off' })).toBeUndefined();
    expect(sessionSettingsProblem({ synchronous_commit: 'local', jit: null })).toBeUndefined();
    expect(sessionSettingsProblem({ synchronous_commit: 'off', jit: 'on' })).toMatch(
      /ignored the connection's startup options \(synchronous_commit=off, jit=on;.*session-mode pool/,
    );
    expect(describePoolerRefusal(new Error('unsupported startup parameter in options: jit'))).toMatch(
      /^a connection pooler in DATABASE_URL refused/,
    );
  });
});
