import { isUntrustedCertificate } from '@touchstream/contracts';

/** The sslmode values the services accept in DATABASE_URL, with libpq's meaning (docs/operations.md). */
export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** URL parameters pg would interpret itself, differently from libpq; the services take over sslmode. */
const FILE_PARAMETERS = ['sslrootcert', 'sslcert', 'sslkey'] as const;

/** The TLS options the services give pg (a subset of Node's, which typeorm and pg both accept). */
export interface PgTlsOptions {
  rejectUnauthorized: boolean;
  ca?: string;
  /** Set to accept any host name (verify-ca): the chain is still checked. */
  checkServerIdentity?: () => undefined;
}

export interface DatabaseConnection {
  /** DATABASE_URL without its TLS parameters, which pg would otherwise apply over `ssl`. */
  connectionString: string;
  /** What pg's `ssl` option gets: false for none. */
  ssl: false | PgTlsOptions;
  sslMode: SslMode;
}

/**
 * Reads DATABASE_URL's sslmode with libpq's meaning, not pg 8's, which takes `require` and
 * `verify-ca` for `verify-full` (and warns that pg 9 will change it):
 * - disable: no TLS;
 * - require: encrypted, the certificate unchecked, unless a CA is given (then as verify-ca);
 * - verify-ca: encrypted, the certificate signed by the CA given (DATABASE_SSL_CA);
 * - verify-full: encrypted, signed by the CA given or the system's trust store, for this host.
 * No sslmode: verify-full when a CA is given, else no TLS. `prefer` and `allow` cannot fall back
 * in pg and are refused, as are certificate paths in the URL (DATABASE_SSL_CA_FILE takes the CA).
 * Throws an Error whose message names the setting.
 */
export function databaseConnection(url: string, ca?: string): DatabaseConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a URL');
  }
  const given = parsed.searchParams.get('sslmode') ?? undefined;
  for (const parameter of FILE_PARAMETERS) {
    if (parsed.searchParams.has(parameter)) {
      throw new Error(`DATABASE_URL: ${parameter} is not read from the URL; give the CA with DATABASE_SSL_CA or DATABASE_SSL_CA_FILE`);
    }
  }
  if (parsed.searchParams.has('ssl') || parsed.searchParams.has('uselibpqcompat')) {
    throw new Error('DATABASE_URL: use sslmode=disable|require|verify-ca|verify-full, not ssl= or uselibpqcompat=');
  }
  if (given !== undefined && !(SSL_MODES as readonly string[]).includes(given)) {
    throw new Error(
      given === 'prefer' || given === 'allow'
        ? `DATABASE_URL: sslmode=${given} is not supported (pg cannot fall back between TLS and plaintext); use disable, require, verify-ca or verify-full`
        : `DATABASE_URL: sslmode=${given} is not one of ${SSL_MODES.join(', ')}`,
    );
  }
  const sslMode: SslMode = (given as SslMode | undefined) ?? (ca ? 'verify-full' : 'disable');
  if (sslMode === 'disable' && ca) throw new Error('DATABASE_SSL_CA is set but DATABASE_URL has sslmode=disable');
  if (sslMode === 'verify-ca' && !ca)
    throw new Error('DATABASE_URL: sslmode=verify-ca needs the CA in DATABASE_SSL_CA or DATABASE_SSL_CA_FILE');
  parsed.searchParams.delete('sslmode');
  return { connectionString: parsed.toString(), ssl: tlsOptions(sslMode, ca), sslMode };
}

function tlsOptions(mode: SslMode, ca: string | undefined): false | PgTlsOptions {
  const trust = ca ? { ca } : {};
  // Chain checked, host name not: libpq's verify-ca.
  const anyHost = { checkServerIdentity: () => undefined };
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      return ca ? { rejectUnauthorized: true, ...trust, ...anyHost } : { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, ...trust, ...anyHost };
    case 'verify-full':
      return { rejectUnauthorized: true, ...trust };
  }
}

/**
 * A connection failure that retrying cannot fix, as one line naming the setting to change; undefined
 * for anything else. The services' boot stops with it (no endless reconnect).
 */
export function describeDatabaseTlsFailure(
  error: unknown,
  connection: Pick<DatabaseConnection, 'sslMode'>,
  hasCa: boolean,
): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = (error as { message?: unknown } | undefined)?.message;
  if (typeof code === 'string' && isUntrustedCertificate(code)) {
    const trusted = hasCa ? 'the CA in DATABASE_SSL_CA' : "the system's trust store (no DATABASE_SSL_CA set)";
    return `the PostgreSQL server's TLS certificate is not trusted by ${trusted} (sslmode=${connection.sslMode}, ${code}): check DATABASE_SSL_CA`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the PostgreSQL server's TLS certificate does not name the host in DATABASE_URL (sslmode=verify-full): fix the host, or use sslmode=verify-ca`;
  }
  if (message === 'The server does not support SSL connections') {
    return `DATABASE_URL asks for sslmode=${connection.sslMode} but the PostgreSQL server does not support SSL connections`;
  }
  // 28000 invalid_authorization_specification: pg_hba.conf has no line for this connection (a
  // hostssl-only server refusing plaintext reads "no pg_hba.conf entry ... no encryption").
  if (code === '28000' && typeof message === 'string' && /no encryption/.test(message)) {
    return `the PostgreSQL server accepts only TLS connections (${message}): set sslmode=require or verify-full in DATABASE_URL`;
  }
  return undefined;
}

/** PostgreSQL cannot be used as configured, and retrying will not change that: the boot stops with this one line. */
export class DatabaseAccessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseAccessError';
  }
}
