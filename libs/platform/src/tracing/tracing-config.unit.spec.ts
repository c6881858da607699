import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, ConfigError, loadConfig } from '../config';
import { parseOtlpHeaders, tracingSettingsFrom } from './tracing-config';

const schema = z.object(commonEnv);
const settings = (env: Record<string, string>, service = 'ingest') => tracingSettingsFrom(loadConfig(schema, env), service);
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('tracing settings from the OpenTelemetry variables', () => {
  it('is off without an endpoint (also when only headers or a service name are set)', () => {
    expect(settings({})).toBeNull();
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeNull();
    expect(settings({ OTEL_SERVICE_NAME: 'edge', OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc' })).toBeNull();
  });

  it('sends to <endpoint>/v1/traces as the service itself, with or without a trailing slash or a path', () => {
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      serviceName: 'ingest',
      tracesUrl: 'http://collector:4318/v1/traces',
      headers: {},
    });
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example/' })?.tracesUrl).toBe('https://otlp.example/v1/traces');
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example/tenant-1' })?.tracesUrl).toBe(
      'https://otlp.example/tenant-1/v1/traces',
    );
  });

  it('takes OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, before OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(settings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom/traces' })?.tracesUrl).toBe(
      'http://collector:4318/custom/traces',
    );
    expect(
      settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/v1/traces' })
        ?.tracesUrl,
    ).toBe('http://traces:4318/v1/traces');
  });

  it('names the service OTEL_SERVICE_NAME when set, and sends OTEL_EXPORTER_OTLP_HEADERS decoded', () => {
    expect(
      settings(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
          OTEL_SERVICE_NAME: 'touchstream-sink',
          OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s%3Dcret , X-Tenant=acme',
        },
        'segment-sink',
      ),
    ).toEqual({
      serviceName: 'touchstream-sink',
      tracesUrl: 'http://collector:4318/v1/traces',
      headers: { 'x-api-key': 's=cret', 'x-tenant': 'acme' },
    });
  });

  it('reads OTEL_EXPORTER_OTLP_HEADERS from OTEL_EXPORTER_OTLP_HEADERS_FILE (a mounted secret)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'otel-headers-')), 'headers');
    writeFileSync(file, 'authorization=Bearer%20abc\n');
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_HEADERS_FILE: file })?.headers).toEqual({
      authorization: 'Bearer abc',
    });
  });

  it('is off when OTEL_SDK_DISABLED is true, whatever else is set', () => {
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBeNull();
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'false' })).not.toBeNull();
  });

  it('refuses an endpoint that is not an http(s) URL, in one line naming the variable and the value', () => {
    for (const [name, value] of [
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://collector:4317'],
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'not a url'],
    ] as const) {
      expect(problems({ [name]: value })).toEqual([
        `${name} must be an http:// or https:// URL of an OTLP/HTTP receiver (e.g. http://otel-collector:4318) (got "${value}")`,
      ]);
    }
  });

  it('refuses malformed headers without quoting their values (credentials)', () => {
    const [problem, ...rest] = problems({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=topsecret,broken' });
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not name=value/);
    expect(problem).not.toContain('topsecret');
    expect(problems({ OTEL_EXPORTER_OTLP_HEADERS: 'api key=x' })[0]).toMatch(/entry 1 is not name=value/);
    expect(problems({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=%E0%A4%A' })[0]).toMatch(
      /entry 1 \(api-key\) has a value that is not valid percent-encoding/,
    );
  });

  it('refuses an OTEL_SDK_DISABLED that is neither true nor false', () => {
    expect(problems({ OTEL_SDK_DISABLED: 'maybe' })).toEqual(['OTEL_SDK_DISABLED must be true or false (got "maybe")']);
  });
});

describe('parseOtlpHeaders', () => {
  it('reads comma-separated name=value pairs, tolerating spaces and a trailing comma', () => {
    expect(parseOtlpHeaders('a=1, b = two ,')).toEqual({ ok: true, headers: { a: '1', b: 'two' } });
    expect(parseOtlpHeaders('authorization=Basic%20dXNlcjpwYXNz')).toEqual({ ok: true, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
  });
});
