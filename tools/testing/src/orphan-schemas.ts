import { Client } from 'pg';

/**
 * Key of the advisory lock a test run holds (shared) on the test database for as long as it runs.
 * Advisory locks are per database, so this only meets runs that share the same database.
 */
export const TEST_RUN_LOCK_KEY = 7_405_163_001;

/** The schemas testNamespace hands out: `t_` then anything ('_' escaped, else LIKE reads it as any character). */
const TEST_SCHEMA_PATTERN = 't\\_%';

export interface ClaimedTestDatabase {
  /** The leftover test schemas this claim dropped (none when another run was alive). */
  dropped: string[];
  /** Closes the connection, which releases the lock. Safe to call more than once. */
  release(): Promise<void>;
}

/** Double-quoted identifier; any name is safe, so odd leftovers can be dropped too. */
function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Marks a test run as alive in `databaseUrl` and, when no other run is, drops the `t_` schemas
 * that killed runs left behind (a spec file drops its own schema only in its afterAll).
 *
 * Each run holds the shared advisory lock on one connection until release(); the exclusive lock is
 * granted only when no run holds it, so a run never drops another live run's schemas.
 */
export async function claimTestDatabase(
  databaseUrl: string,
  log: (line: string) => void,
  lockKey: number = TEST_RUN_LOCK_KEY,
): Promise<ClaimedTestDatabase> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'touchstream-test-run' });
  // The connection sits idle for the whole run: a lost connection must not crash the run (the
  // lock is gone then, which at worst lets a later run drop this run's schemas).
  client.on('error', (error) => log(`postgres: lost the test-run lock connection: ${error.message}`));
  await client.connect();
  let released: Promise<void> | undefined;
  const release = () => (released ??= client.end().catch(() => undefined));
  const dropped: string[] = [];
  try {
    const { rows } = await client.query<{ granted: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS granted', [lockKey]);
    if (rows[0]?.granted) {
      const leftovers = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY nspname', [
        TEST_SCHEMA_PATTERN,
      ]);
      for (const { nspname } of leftovers.rows) {
        // Best effort: a schema that cannot be dropped (another owner) must not stop the run.
        await client.query(`DROP SCHEMA IF EXISTS ${quoted(nspname)} CASCADE`).then(
          () => dropped.push(nspname),
          (error: Error) => log(`postgres: could not drop leftover schema ${nspname}: ${error.message}`),
        );
      }
      // Keep only the shared lock, so concurrent runs may start (and skip their cleanup).
      await client.query('SELECT pg_advisory_lock_shared($1::bigint)', [lockKey]);
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey]);
      if (dropped.length > 0) log(`postgres: dropped ${dropped.length} schema(s) left by earlier, killed test runs`);
    } else {
      // Waits only while another run is cleaning up (it holds the exclusive lock briefly).
      await client.query('SELECT pg_advisory_lock_shared($1::bigint)', [lockKey]);
      log('postgres: skipped dropping leftover t_ schemas: another test run is using this database');
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { dropped, release };
}
