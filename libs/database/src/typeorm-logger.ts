import type { Logger as TypeOrmLogger } from 'typeorm';
import type { Logger } from '@touchstream/logging';

/** Longest query text a log line carries (bulk statements repeat placeholders for thousands of rows). */
const MAX_QUERY_CHARS = 300;

/**
 * TypeORM's logging through the service's JSON logger. TypeORM's own console logger printed a
 * failed query with its parameters as plain text, outside the JSON lines and their redaction:
 * userIds that are email addresses, anonymousIds and page URLs reached the log. Here parameters
 * are never logged (only how many there were), and quoted values in Postgres' message (`invalid
 * input syntax for type uuid: "..."`) are blanked: the SQLSTATE, table, column and constraint
 * say what failed without saying whose data it was.
 */
export class TypeOrmJsonLogger implements TypeOrmLogger {
  constructor(private readonly logger: Logger) {}

  logQuery(query: string, parameters?: unknown[]): void {
    if (this.logger.isEnabled('debug')) this.logger.debug('query', { query: shortQuery(query), parameterCount: parameters?.length ?? 0 });
  }

  logQueryError(error: string | Error, query: string, parameters?: unknown[]): void {
    this.logger.warn('query failed', { ...describeQueryError(error), query: shortQuery(query), parameterCount: parameters?.length ?? 0 });
  }

  logQuerySlow(time: number, query: string, parameters?: unknown[]): void {
    this.logger.warn('slow query', { durationMs: time, query: shortQuery(query), parameterCount: parameters?.length ?? 0 });
  }

  logSchemaBuild(message: string): void {
    this.logger.info(message, { component: 'typeorm' });
  }

  logMigration(message: string): void {
    this.logger.info(message, { component: 'typeorm' });
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    if (level === 'warn') this.logger.warn(text, { component: 'typeorm' });
    else this.logger.debug(text, { component: 'typeorm' });
  }
}

function shortQuery(query: string): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_QUERY_CHARS ? `${flat.slice(0, MAX_QUERY_CHARS)}...` : flat;
}

/** What a failed query's error says, minus any value it quotes. */
export function describeQueryError(error: string | Error): Record<string, unknown> {
  const fields = (typeof error === 'object' ? error : {}) as Partial<
    Record<'code' | 'table' | 'column' | 'constraint' | 'routine', string>
  >;
  const message = typeof error === 'string' ? error : error.message;
  const described: Record<string, unknown> = { errorMessage: withoutQuotedValues(message) };
  for (const key of ['code', 'table', 'column', 'constraint', 'routine'] as const) {
    if (typeof fields[key] === 'string') described[key === 'code' ? 'sqlState' : key] = fields[key];
  }
  return described;
}

function withoutQuotedValues(message: string): string {
  return message.replace(/"(?:[^"\\]|\\.)*"/g, '"[redacted]"').replace(/'(?:[^'\\]|\\.)*'/g, "'[redacted]'");
}
