import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createDataSource, ensureDatabase, migrate, type DatabaseSettings, type MigrationClass } from '@touchstream/database';
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
            const dataSource = createDataSource(options.settings, options.migrations);
            await dataSource.initialize();
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
