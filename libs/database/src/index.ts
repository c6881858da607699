export * from './data-source';
export * from './ensure-database';
export * from './outbox';
export * from './migrations/platform-tables';
export * from './outbox-writer';
export * from './positions';
