export * from './analyze';
export * from './data-source';
export * from './database-tls';
export * from './session-settings';
export * from './ensure-database';
export * from './returning-rows';
export * from './server-settings';
export * from './typeorm-logger';
