export * from './tracing';
export * from './tracing-config';
export { startTracing } from './start-tracing';
