export * from './text';
export * from './observe';
export * from './projection';
export * from './ownership';
export * from './link-event';
export * from './raw-event';
