import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  createDataSource,
  ensureDatabase,
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
            await ensureDatabase(options.settings.url);
            const dataSource = createDataSource(options.settings, options.migrations, logger);
            await dataSource.initialize();
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
