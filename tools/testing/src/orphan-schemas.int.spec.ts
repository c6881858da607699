import { randomBytes, randomInt } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testInfrastructure } from './namespace';
import { claimTestDatabase, type ClaimedTestDatabase } from './orphan-schemas';

describe('claimTestDatabase on the real Postgres', () => {
  // A database of its own: a granted claim drops every t_ schema, and the suite's live schemas
  // are in the test database. Its own lock key too, though advisory locks are per database anyway.
  const suffix = randomBytes(4).toString('hex');
  const database = `touchstream_orphantest_${suffix}`;
  const lockKey = randomInt(1, 2 ** 47);
  const lines: string[] = [];
  const claims: ClaimedTestDatabase[] = [];
  const clients: Client[] = [];
  let url: string;
  let admin: Client;
  let probe: Client;

  const connect = async (connectionString: string) => {
    const client = new Client({ connectionString });
    await client.connect();
    clients.push(client);
    return client;
  };
  const claim = async () => {
    const claimed = await claimTestDatabase(url, (line) => lines.push(line), lockKey);
    claims.push(claimed);
    return claimed;
  };
  const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
  /** A schema with a table in it, so a drop has to cascade. */
  const createSchema = async (name: string) => {
    await probe.query(`CREATE SCHEMA ${quoted(name)}`);
    await probe.query(`CREATE TABLE ${quoted(name)}.things (id int)`);
    return name;
  };
  const schemaExists = async (name: string) => (await probe.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])).rowCount === 1;
  /** Whether the exclusive lock is free right now (taken and given back at once). */
  const exclusiveFree = async () => {
    const { rows } = await probe.query<{ granted: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS granted', [lockKey]);
    const granted = rows[0]?.granted === true;
    if (granted) await probe.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey]);
    return granted;
  };
  /** Whether a concurrent run could take the shared lock right now (taken and given back at once). */
  const sharedFree = async () => {
    const { rows } = await probe.query<{ granted: boolean }>('SELECT pg_try_advisory_lock_shared($1::bigint) AS granted', [lockKey]);
    const granted = rows[0]?.granted === true;
    if (granted) await probe.query('SELECT pg_advisory_unlock_shared($1::bigint)', [lockKey]);
    return granted;
  };
  const releaseAll = async () => {
    for (const claimed of claims.splice(0)) await claimed.release();
  };

  beforeAll(async () => {
    const server = new URL(testInfrastructure().databaseUrl);
    server.pathname = '/postgres';
    admin = new Client({ connectionString: server.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoted(database)}`);
    server.pathname = `/${database}`;
    url = server.toString();
    probe = await connect(url);
  });

  afterAll(async () => {
    await releaseAll();
    for (const client of clients.splice(0)) await client.end().catch(() => undefined);
    await admin?.query(`DROP DATABASE IF EXISTS ${quoted(database)} WITH (FORCE)`);
    await admin?.end();
  });

  it('drops leftover t_ schemas when no other run holds the lock, and nothing else', async () => {
    lines.length = 0;
    const leftover = await createSchema(`t_orphantest_${suffix}`);
    const oddName = await createSchema(`t_orphantest_${suffix}_"odd name`);
    const kept = await createSchema(`keepme_${suffix}`);
    // Matches 't_%' only if the underscore were left unescaped.
    const lookalike = await createSchema(`tx_orphantest_${suffix}`);

    const claimed = await claim();

    expect([...claimed.dropped].sort()).toEqual([leftover, oddName].sort());
    expect(await schemaExists(leftover)).toBe(false);
    expect(await schemaExists(oddName)).toBe(false);
    expect(await schemaExists(kept)).toBe(true);
    expect(await schemaExists(lookalike)).toBe(true);
    expect(lines).toEqual([expect.stringContaining('dropped 2 schema(s)')]);
    // It holds the shared lock, not the exclusive one: a concurrent run's claim is not blocked.
    expect(await exclusiveFree()).toBe(false);
    expect(await sharedFree()).toBe(true);
    await releaseAll();
    expect(await exclusiveFree()).toBe(true);
  });

  it('drops nothing while another run holds the shared lock, and still returns holding it', async () => {
    lines.length = 0;
    const live = await createSchema(`t_orphantest_live_${suffix}`);
    const otherRun = await connect(url);
    await otherRun.query('SELECT pg_advisory_lock_shared($1::bigint)', [lockKey]);

    const claimed = await claim();

    expect(claimed.dropped).toEqual([]);
    expect(await schemaExists(live)).toBe(true);
    expect(lines).toEqual([expect.stringContaining('skipped dropping leftover t_ schemas')]);
    // The other run ends; this claim's shared lock still keeps a later cleanup out.
    await otherRun.query('SELECT pg_advisory_unlock_shared($1::bigint)', [lockKey]);
    expect(await exclusiveFree()).toBe(false);
    await claimed.release();
    expect(await exclusiveFree()).toBe(true);
    claims.splice(0);
  });

  it('lets a new claim clean up once the earlier claims are released', async () => {
    lines.length = 0;
    const first = await claim();
    const leftover = await createSchema(`t_orphantest_later_${suffix}`);
    expect((await claim()).dropped).toEqual([]);
    expect(await schemaExists(leftover)).toBe(true);
    await first.release();
    await first.release(); // a second release is harmless
    await releaseAll();

    const later = await claim();

    expect(later.dropped).toEqual(expect.arrayContaining([leftover]));
    expect(await schemaExists(leftover)).toBe(false);
  });
});
