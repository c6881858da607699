import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  createDataSource,
  DatabaseAccessError,
  databaseConnection,
  describeDatabaseTlsFailure,
  describePoolerRefusal,
  ensureDatabase,
  sessionSettingsProblem,
  migrate,
  readServerSettings,
  serverSettingWarnings,
  type DatabaseSettings,
  type MigrationClass,
} from '@touchstream/database';
import { Logger } from '@touchstream/logging';
import { ReadinessRegistry } from './readiness';

export interface DatabaseModuleOptions {
  settings: DatabaseSettings;
  migrations: readonly MigrationClass[];
  /** Apply pending migrations at boot (the default); off when a deploy step runs them. */
  runMigrations?: boolean;
}

@Injectable()
class DatabaseShutdown implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** Settings already warned about in this process (a test process boots many modules). */
const warnedSettings = new Set<string>();

/** Logs, once per process, each server setting that undercuts durability or upkeep (docs/operations.md). */
async function warnAboutServerSettings(dataSource: DataSource, logger: Logger): Promise<void> {
  for (const warning of serverSettingWarnings(await readServerSettings((sql) => dataSource.query(sql)))) {
    if (warnedSettings.has(warning.setting)) continue;
    warnedSettings.add(warning.setting);
    logger.warn(`PostgreSQL ${warning.setting} is ${warning.value}: ${warning.consequence}`, { setting: warning.setting });
  }
}

/**
 * Connects as the settings say, turning what no retry can fix (an untrusted certificate, a server
 * without TLS, a pooler refusing or dropping the startup options) into one DatabaseAccessError line.
 */
async function connect(settings: DatabaseSettings, migrations: readonly MigrationClass[], logger: Logger): Promise<DataSource> {
  const connection = databaseConnection(settings.url, settings.sslCa);
  const refused = (error: unknown): never => {
    const line = describeDatabaseTlsFailure(error, connection, settings.sslCa !== undefined) ?? describePoolerRefusal(error);
    throw line ? new DatabaseAccessError(line, { cause: error }) : error;
  };
  await ensureDatabase(settings.url, settings.sslCa).catch(refused);
  const dataSource = createDataSource(settings, migrations, logger);
  await dataSource.initialize().catch(refused);
  const [session] = await dataSource.query<Array<{ synchronous_commit: string; jit: string | null }>>(
    "SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('jit', true) AS jit",
  );
  const problem = session ? sessionSettingsProblem(session) : undefined;
  if (problem) {
    await dataSource.destroy();
    throw new DatabaseAccessError(problem);
  }
  return dataSource;
}

/** The service's own schema, migrated at boot; typeorm's DataSource injected where needed. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DataSource,
          inject: [Logger, ReadinessRegistry],
          useFactory: async (logger: Logger, readiness: ReadinessRegistry) => {
            const dataSource = await connect(options.settings, options.migrations, logger);
            await warnAboutServerSettings(dataSource, logger);
            if (options.runMigrations ?? true) {
              const applied = await migrate(dataSource);
              if (applied.length > 0) logger.info('migrations applied', { schema: options.settings.schema, applied });
            }
            readiness.register('database', async () => {
              await dataSource.query('SELECT 1');
              return true;
            });
            return dataSource;
          },
        },
        DatabaseShutdown,
      ],
      exports: [DataSource],
    };
  }
}
