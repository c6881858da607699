import type { z } from 'zod';
import { EXIT_CONFIG_INVALID } from '@touchstream/contracts';
import { Logger } from '@touchstream/logging';
import { ConfigError, loadConfig } from './config';

export interface ConfigBootIo {
  env?: NodeJS.ProcessEnv;
  /** The JSON log lines (stdout, as every other log line). */
  log?: { write(line: string): void };
  /** The readable summary (stderr). */
  summary?: { write(text: string): void };
  exit?: (code: number) => never;
}

/**
 * A service's configuration, or the process ends with exit code 78 (EX_CONFIG, so a supervisor
 * does not restart it into the same error) after saying why: one JSON
 * log line per problem (as every other line the service logs, so log pipelines see it) and a
 * short readable summary on stderr, with no stack trace (the stack says nothing about a wrong
 * setting).
 */
export function loadConfigOrExit<T extends z.ZodType>(schema: T, service: string, io: ConfigBootIo = {}): z.output<T> {
  try {
    return loadConfig(schema, io.env ?? process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const logger = new Logger({ service, level: 'error', sink: io.log ?? process.stdout });
    for (const problem of error.problems) logger.error('invalid configuration', { problem });
    const summary = io.summary ?? process.stderr;
    summary.write(
      `${service} cannot start: ${error.problems.length === 1 ? 'a setting is' : `${error.problems.length} settings are`} invalid\n${error.problems
        .map((problem) => `  - ${problem}`)
        .join('\n')}\nSettings: README.md, "Configuration".\n`,
    );
    return (io.exit ?? process.exit)(EXIT_CONFIG_INVALID);
  }
}
