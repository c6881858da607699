import { z } from 'zod';
import { emptyAsUndefined } from '@touchstream/contracts';

/** Where a service sends its spans, when tracing is on. */
export interface TracingSettings {
  /** service.name of every span (OTEL_SERVICE_NAME, else the service's own name). */
  serviceName: string;
  /** The OTLP/HTTP traces URL the spans are POSTed to (JSON). */
  tracesUrl: string;
  /** Sent with every export (a collector's API key, a tenant). */
  headers: Record<string, string>;
}

/** An OTLP/HTTP address: http or https only (the exporter speaks nothing else). */
const otlpUrl = (name: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((value) => {
        try {
          const url = new URL(value);
          return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
        } catch {
          return false;
        }
      }, `${name} must be an http:// or https:// URL of an OTLP/HTTP receiver (e.g. http://otel-collector:4318)`)
      .optional(),
  );

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * OTEL_EXPORTER_OTLP_HEADERS as the OpenTelemetry specification writes it: `key=value` pairs
 * separated by commas, values percent-encoded. A wrong entry is named by its position, never
 * quoted: the values are usually credentials.
 */
export function parseOtlpHeaders(text: string): { ok: true; headers: Record<string, string> } | { ok: false; problem: string } {
  const headers: Record<string, string> = {};
  const entries = text.split(',');
  for (const [index, entry] of entries.entries()) {
    if (entry.trim() === '' && entries.length > 1) continue;
    const equals = entry.indexOf('=');
    const name = equals < 0 ? '' : entry.slice(0, equals).trim();
    if (!HEADER_NAME.test(name)) {
      return { ok: false, problem: `entry ${index + 1} is not name=value with an HTTP header name (e.g. api-key=secret,tenant=acme)` };
    }
    try {
      headers[name.toLowerCase()] = decodeURIComponent(entry.slice(equals + 1).trim());
    } catch {
      return { ok: false, problem: `entry ${index + 1} (${name}) has a value that is not valid percent-encoding` };
    }
  }
  return { ok: true, headers };
}

/**
 * The standard OpenTelemetry variables a service reads (every service, part of commonEnv):
 * tracing is on when an endpoint is set and OTEL_SDK_DISABLED is not true.
 */
export const tracingEnv = {
  /** Base URL of an OTLP/HTTP receiver: spans go to <it>/v1/traces. */
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl('OTEL_EXPORTER_OTLP_ENDPOINT'),
  /** The full traces URL, used as given; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
  OTEL_EXPORTER_OTLP_HEADERS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .transform((value, ctx) => {
        const parsed = parseOtlpHeaders(value);
        if (parsed.ok) return parsed.headers;
        ctx.addIssue({ code: 'custom', message: `OTEL_EXPORTER_OTLP_HEADERS: ${parsed.problem}` });
        return z.NEVER;
      })
      .optional(),
  ),
  OTEL_SERVICE_NAME: z.preprocess(emptyAsUndefined, z.string().trim().min(1).optional()),
  OTEL_SDK_DISABLED: z.preprocess(
    (value) => (typeof value === 'string' ? emptyAsUndefined(value.trim().toLowerCase()) : value),
    z
      .enum(['true', 'false'], { error: 'OTEL_SDK_DISABLED must be true or false' })
      .optional()
      .transform((value) => value === 'true'),
  ),
};

export interface TracingEnv {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_HEADERS?: Record<string, string> | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
  OTEL_SDK_DISABLED?: boolean | undefined;
}

/** `<base>/v1/traces`, as the specification derives a signal's URL from OTEL_EXPORTER_OTLP_ENDPOINT. */
export function tracesUrlOf(endpoint: string): string {
  return `${endpoint.endsWith('/') ? endpoint : `${endpoint}/`}v1/traces`;
}

/** The settings of a service's tracing, or null when it is off (no endpoint, or OTEL_SDK_DISABLED=true). */
export function tracingSettingsFrom(env: TracingEnv, service: string): TracingSettings | null {
  if (env.OTEL_SDK_DISABLED) return null;
  const tracesUrl =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (env.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? undefined : tracesUrlOf(env.OTEL_EXPORTER_OTLP_ENDPOINT));
  if (tracesUrl === undefined) return null;
  return { serviceName: env.OTEL_SERVICE_NAME ?? service, tracesUrl, headers: env.OTEL_EXPORTER_OTLP_HEADERS ?? {} };
}
