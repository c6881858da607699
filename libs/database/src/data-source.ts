import { DataSource, type MigrationInterface } from 'typeorm';
import { Logger } from '@touchstream/logging';
import { TypeOrmJsonLogger } from './typeorm-logger';
import { databaseConnection } from './database-tls';

/** A migration class, as typeorm instantiates it. */
export type MigrationClass = new () => MigrationInterface;

export interface DatabaseSettings {
  url: string;
  /** The service's own schema: no service reads another's tables. */
  schema: string;
  /** Pool size: a consumer holds one connection per in-flight batch. */
  poolSize?: number;
  /** PEM CA the server's certificate must chain to (DATABASE_SSL_CA); TLS itself is DATABASE_URL's sslmode. */
  sslCa?: string;
}

/**
 * A typeorm DataSource bound to one schema, with migrations only (never `synchronize`). The
 * migration table lives in the service's schema too, so services migrate independently. TypeORM
 * logs through `logger` as JSON lines, never with query parameters (TypeOrmJsonLogger).
 */
export function createDataSource(
  settings: DatabaseSettings,
  migrations: readonly MigrationClass[],
  logger: Logger = new Logger({ service: `touchstream-${settings.schema}` }),
): DataSource {
  const connection = databaseConnection(settings.url, settings.sslCa);
  return new DataSource({
    type: 'postgres',
    url: connection.connectionString,
    ssl: connection.ssl,
    schema: settings.schema,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    migrations: [...migrations],
    extra: {
      max: settings.poolSize ?? 10,
      application_name: `touchstream-${settings.schema}`,
      // No JIT: the services run short index lookups, whose cost estimates balloon while a backfill
      // fills tables faster than autovacuum analyzes them; past jit_above_cost Postgres then spent
      // 85 ms compiling a 3 ms lookup (docs/benchmarks-attribution.md).
      // Commits durable before they return, whatever the server's default: a consumer commits its
      // Kafka offset after its transaction, so a commit lost in a crash would lose those events.
      options: '-c jit=off -c synchronous_commit=on',
    },
    logging: ['error', 'warn', 'migration'],
    logger: new TypeOrmJsonLogger(logger.child({ component: 'typeorm' })),
  });
}

/** Creates the schema if needed, then applies pending migrations; returns their names. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const schema = schemaOf(dataSource);
  await dataSource.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((migration) => migration.name);
}

export function schemaOf(dataSource: DataSource): string {
  const schema = (dataSource.options as { schema?: string }).schema;
  if (!schema) throw new Error('DataSource has no schema configured');
  return schema;
}

/** Quotes a Postgres identifier (schema and table names cannot be bind parameters). */
export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe SQL identifier: ${name}`);
  return `"${name}"`;
}
