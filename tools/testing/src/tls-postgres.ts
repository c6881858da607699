import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, REPO_ROOT } from '@touchstream/local-infra';

const run = promisify(execFile);

/** A throw-away PostgreSQL cluster that accepts only TLS connections, with its own CA. */
export interface TlsPostgres {
  port: number;
  /** The CA that signed the server's certificate (CN and SAN 127.0.0.1, localhost). */
  caFile: string;
  /** A CA that signed nothing this server shows. */
  otherCaFile: string;
  /** postgres://postgres@<host>:<port>/postgres, with sslmode when given; it listens on 127.0.0.1 and 127.0.0.2 (not in its certificate). */
  url: (sslmode?: string, host?: string) => string;
  stop: () => Promise<void>;
}

/** initdb and pg_ctl: from PG_BIN, PATH, or the newest /usr/lib/postgresql/<version>/bin. */
function postgresBin(): string {
  const candidates = [
    process.env.PG_BIN,
    ...(process.env.PATH ?? '').split(delimiter),
    ...(existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => `/usr/lib/postgresql/${version}/bin`)
      : []),
  ];
  const found = candidates.find((dir) => dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) throw new Error('initdb and pg_ctl not found (set PG_BIN, or install PostgreSQL server binaries)');
  return found;
}

/** PostgreSQL refuses to run as root: as root, run its tools as the postgres user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA and a certificate it signs for 127.0.0.1 / localhost, plus an unrelated CA. */
async function makeCertificates(dir: string): Promise<void> {
  for (const ca of ['ca', 'other-ca']) {
    await openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '30',
      '-sha256',
      '-subj',
      `/CN=touchstream test ${ca}`,
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.pem`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }
  await openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  ]);
  await writeFile(
    join(dir, 'server.ext'),
    'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-sha256',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  ]);
}

/**
 * Starts a PostgreSQL cluster of its own (initdb, pg_ctl) under .cache/ on a free port, with ssl=on
 * and a pg_hba.conf that accepts TLS connections only (trust auth: this is about the transport).
 * Never the shared server: a cluster this process may configure and stop as it likes.
 */
export async function startTlsPostgres(log: (line: string) => void = () => undefined): Promise<TlsPostgres> {
  const bin = postgresBin();
  const port = await freePort();
  const dir = resolve(REPO_ROOT, '.cache', `postgres-tls-${port}`);
  const data = join(dir, 'data');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const server = async (tool: string, args: string[]) => {
    const [command, argv] = asServerUser(join(bin, tool), args);
    return run(command, argv, { cwd: dir });
  };
  const stop = async () => {
    await server('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await makeCertificates(dir);
    if (process.getuid?.() === 0) await run('chown', ['-R', 'postgres:postgres', dir]);
    await server('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
    await appendFile(
      join(data, 'postgresql.conf'),
      [
        `port = ${port}`,
        "listen_addresses = '127.0.0.1,127.0.0.2'",
        `unix_socket_directories = '${dir}'`,
        'ssl = on',
        `ssl_cert_file = '${join(dir, 'server.pem')}'`,
        `ssl_key_file = '${join(dir, 'server.key')}'`,
        'fsync = off',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(data, 'pg_hba.conf'),
      'local all all trust\nhostssl all all 127.0.0.0/8 trust\nhostnossl all all 127.0.0.0/8 reject\n',
    );
    if (process.getuid?.() === 0) await run('chown', ['-R', 'postgres:postgres', dir]);
    await server('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', 'start']);
    log(`postgres: started a TLS-only cluster on 127.0.0.1:${port} (${dir.replace(`${REPO_ROOT}/`, '')})`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    url: (sslmode, host = '127.0.0.1') => `postgres://postgres@${host}:${port}/postgres${sslmode ? `?sslmode=${sslmode}` : ''}`,
    stop,
  };
}
