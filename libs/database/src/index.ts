export * from './data-source';
export * from './ensure-database';
export * from './outbox';
export * from './migrations/platform-tables';
export * from './migrations/replay-fence-table';
export * from './outbox-writer';
export * from './positions';
export * from './replay-fence';
