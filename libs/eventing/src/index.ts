// Nest-free eventing: apply a consumed batch once with its stored positions, write the outbox
// in the same transaction and relay it, and replay a projection behind a fence.
export * from './apply-once/incarnation';
export * from './apply-once/positions';
export * from './apply-once/projected-batch';
export * from './outbox/outbox';
export * from './outbox/outbox-batch';
export * from './outbox/outbox-writer';
export * from './outbox/outbox-relay';
export * from './outbox/outbox-dead-letters';
export * from './replay/replay-fence';
export * from './replay/replay-target';
export * from './replay/fenced-rebuild';
export * from './migrations/platform-tables';
export * from './migrations/replay-fence-table';
export * from './migrations/outbox-payload-text';
export * from './migrations/outbox-dead-letters';
export * from './migrations/outbox-uncompressed';
export * from './migrations/outbox-batches';
export * from './migrations/consumer-position-topic-ids';
