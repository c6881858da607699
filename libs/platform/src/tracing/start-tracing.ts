import type { Logger } from '@touchstream/logging';
import { NO_TRACING, type Tracing } from './tracing';
import type { TracingSettings } from './tracing-config';

/**
 * The service's tracing: the OpenTelemetry SDK when settings are given (tracingSettingsFrom), else
 * NO_TRACING. The SDK (some 240 modules) is loaded only then, so a service with tracing off
 * neither pays its start-up time nor holds it in memory.
 */
export async function startTracing(settings: TracingSettings | null, logger: Logger): Promise<Tracing> {
  if (settings === null) return NO_TRACING;
  const { OtelTracing } = await import('./otel-tracing.js');
  const url = new URL(settings.tracesUrl);
  // Origin and path only: a URL may carry credentials.
  logger.info('tracing on: spans are exported over OTLP/HTTP', {
    tracesUrl: `${url.origin}${url.pathname}`,
    serviceName: settings.serviceName,
  });
  return new OtelTracing(settings, logger);
}
