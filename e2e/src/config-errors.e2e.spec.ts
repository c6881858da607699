import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICES, type ServiceName } from './pipeline-services';

const ROOT = resolve(__dirname, '..', '..');

/** A service's compiled entry point, run as `npm start` runs it, with a broken environment. */
function boot(service: ServiceName, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [resolve(ROOT, 'services', service, 'dist', 'main.js')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('configuration errors at boot, as a person sees them', () => {
  it.each(Object.entries(SERVICES) as Array<[ServiceName, string]>)(
    '%s: one JSON line per problem, a readable summary, no stack trace, exit 78 (EX_CONFIG)',
    (service, portVariable) => {
      const { status, stdout, stderr } = boot(service, { [portVariable]: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://secret@db' });

      expect(status).toBe(78);
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { level: string; service: string; msg: string; problem: string });
      const problems = lines.map((line) => line.problem);
      expect(problems).toContain(`${portVariable} must be a port number (0-65535), got "abc"`);
      expect(problems).toContain('LOG_LEVEL must be one of debug, info, warn, error, got "loud"');
      expect(new Set(problems).size).toBe(problems.length);
      for (const line of lines) expect(line).toMatchObject({ level: 'error', service, msg: 'invalid configuration' });
      expect(stderr).toMatch(new RegExp(`^${service} cannot start: \\d settings are invalid\\n`));
      for (const problem of problems) expect(stderr).toContain(`  - ${problem}\n`);
      expect(stdout + stderr).not.toMatch(/\n\s+at |ZodError|Invalid input|secret@db/);
    },
  );

  it('refuses an OpenTelemetry endpoint that is no http(s) URL and malformed export headers, never quoting the headers', () => {
    const { status, stdout, stderr } = boot('ingest', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=hunter2hunter2,oops',
    });
    expect(status).toBe(78);
    const problems = stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { problem: string }).problem);
    expect(problems).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL of an OTLP/HTTP receiver (e.g. http://otel-collector:4318) (got "otel-collector:4318")',
      'OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not name=value with an HTTP header name (e.g. api-key=secret,tenant=acme)',
    ]);
    expect(stdout + stderr).not.toContain('hunter2');
  });

  it('the sink refuses a SEGMENT_API_HOST that is no http(s) URL', () => {
    const { status, stdout } = boot('segment-sink', { SEGMENT_API_HOST: 'ftp://api.segment.io' });
    expect(status).toBe(78);
    expect(stdout).toContain('SEGMENT_API_HOST must be an http(s) URL');
  });
});
