export * from './tracing';
export * from './tracing-config';
export { OtelTracing, startTracing } from './otel-tracing';
