/** A Postgres server setting that undercuts what touchstream relies on, and why it matters. */
export interface ServerSettingWarning {
  setting: string;
  value: string;
  consequence: string;
}

/** The settings serverSettingWarnings looks at. */
export const CHECKED_SERVER_SETTINGS = ['fsync', 'full_page_writes', 'synchronous_commit', 'autovacuum', 'track_counts'] as const;

/**
 * The warnings a service logs at boot for its server's settings (docs/operations.md, "PostgreSQL
 * server settings"). None refuses the boot: a developer's throw-away server may trade durability
 * for speed on purpose, but an operator must hear what it costs.
 *
 * Durability matters beyond the database itself: a consumer commits its Kafka offset only after
 * its transaction committed, so a commit the server loses in a crash leaves the group's offset
 * past messages whose effect is gone, and they are never applied again.
 */
export function serverSettingWarnings(settings: Readonly<Record<string, string>>): ServerSettingWarning[] {
  const warnings: ServerSettingWarning[] = [];
  const is = (setting: string, value: string) => settings[setting]?.toLowerCase() === value;
  const warn = (setting: string, consequence: string) => warnings.push({ setting, value: settings[setting] ?? '', consequence });
  if (is('fsync', 'off')) {
    warn('fsync', 'a server crash can lose committed transactions, and with them events whose Kafka offsets were already committed');
  }
  if (is('full_page_writes', 'off')) warn('full_page_writes', 'a server crash can leave torn pages the server cannot repair');
  if (is('synchronous_commit', 'off')) {
    warn(
      'synchronous_commit',
      'a server crash can lose the last committed transactions, and with them events whose Kafka offsets were committed',
    );
  }
  if (is('autovacuum', 'off') || is('track_counts', 'off')) {
    warn(
      is('autovacuum', 'off') ? 'autovacuum' : 'track_counts',
      'updated and deleted rows (outbox, subjects, positions) are never reclaimed and planner statistics go stale: run VACUUM ANALYZE on the service schemas regularly, and ANALYZE after a backfill',
    );
  }
  return warnings;
}

/** Reads the checked settings as this connection sees them (a session setting wins over the server's). */
export async function readServerSettings(
  query: (sql: string) => Promise<Array<{ name: string; setting: string }>>,
): Promise<Record<string, string>> {
  const rows = await query(
    `SELECT name, setting FROM pg_settings WHERE name IN (${CHECKED_SERVER_SETTINGS.map((name) => `'${name}'`).join(', ')})`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
}
