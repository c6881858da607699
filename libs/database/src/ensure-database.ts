import { Client } from 'pg';
import { databaseConnection } from './database-tls';

/**
 * Creates the database named in `url` when it does not exist yet, connecting to the server's
 * `postgres` database to do so. Lets `npm start` and the tests run on a fresh server.
 */
export async function ensureDatabase(url: string, sslCa?: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name || name === 'postgres') return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const { connectionString, ssl } = databaseConnection(admin.toString(), sslCa);
  const client = new Client({ connectionString, ssl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        // Another process created it between the check and the create.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/** True when a Postgres server answers at `url` within the timeout. */
export async function canConnect(url: string, timeoutMs = 2_000): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
