export * from './archive';
export * from './broker-ceiling';
export * from './options';
export * from './process-stats';
export * from './report';
export * from './service-process';
export * from './topic-writer';
export * from './until';
