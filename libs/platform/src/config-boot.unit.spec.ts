import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, portSchema } from './config';
import { loadConfigOrExit } from './config-boot';

const schema = z.object({ ...commonEnv, INGEST_PORT: portSchema.default(3000), RETRIES: z.coerce.number().int().min(1).max(9).default(3) });

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function boot(env: Record<string, string>) {
  let log = '';
  let summary = '';
  let code: number | undefined;
  try {
    loadConfigOrExit(schema, 'ingest', {
      env,
      log: { write: (line) => (log += line) },
      summary: { write: (text) => (summary += text) },
      exit: (exitCode) => {
        throw new Exited(exitCode);
      },
    });
  } catch (error) {
    if (!(error instanceof Exited)) throw error;
    code = error.code;
  }
  return {
    code,
    lines: log
      .trimEnd()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>),
    summary,
  };
}

describe('loadConfigOrExit: configuration errors at boot', () => {
  it('logs one JSON line per problem, in words, prints a readable summary without a stack, and exits 1', () => {
    const { code, lines, summary } = boot({
      INGEST_PORT: 'abc',
      LOG_LEVEL: 'loud',
      RETRIES: '12',
      KAFKA_FETCH_MAX_WAIT_MS: '1.5',
      DEBUG_TOKEN: 'short-secret',
    });

    expect(code).toBe(78);
    const problems = lines.map((line) => String(line.problem));
    expect(problems).toEqual([
      'LOG_LEVEL must be one of debug, info, warn, error, got "loud"',
      'KAFKA_FETCH_MAX_WAIT_MS must be a whole number, got "1.5"',
      'DEBUG_TOKEN must be at least 16 characters',
      'INGEST_PORT must be a port number (0-65535), got "abc"',
      'RETRIES must be at most 9, got "12"',
    ]);
    for (const line of lines) expect(line).toMatchObject({ level: 'error', service: 'ingest', msg: 'invalid configuration' });
    expect(summary).toBe(
      `ingest cannot start: 5 settings are invalid\n${problems.map((problem) => `  - ${problem}`).join('\n')}\nSettings: README.md, "Configuration".\n`,
    );
    expect(summary + JSON.stringify(lines)).not.toMatch(/short-secret|at loadConfig|Invalid input|ZodError/);
  });

  it('says a port out of range is not a port, once per setting', () => {
    const { lines, summary } = boot({ INGEST_PORT: '70000' });
    expect(lines.map((line) => line.problem)).toEqual(['INGEST_PORT must be a port number (0-65535), got "70000"']);
    expect(summary).toMatch(/^ingest cannot start: a setting is invalid\n/);
  });

  it('returns the configuration when it is valid', () => {
    expect(loadConfigOrExit(schema, 'ingest', { env: { INGEST_PORT: '3100' } }).INGEST_PORT).toBe(3100);
  });
});
