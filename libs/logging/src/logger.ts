import { currentLogContext } from './context';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Keys that hold personal data: they never reach a log line, whatever object they are nested in.
 */
const REDACTED_KEYS = new Set(['email', 'phone', 'ip', 'traits', 'authorization', 'password', 'writekey', 'secret']);

export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  sink?: LogSink;
  /** Fixed fields on every line of this logger (e.g. a component name). */
  bindings?: Record<string, unknown>;
}

/** Structured JSON lines, one per event, with the current correlation context merged in. */
export class Logger {
  private readonly threshold: number;
  private readonly sink: LogSink;

  constructor(private readonly options: LoggerOptions) {
    this.threshold = LEVELS[options.level ?? parseLevel(process.env.LOG_LEVEL)];
    this.sink = options.sink ?? process.stdout;
  }

  child(bindings: Record<string, unknown>): Logger {
    return new Logger({ ...this.options, sink: this.sink, bindings: { ...this.options.bindings, ...bindings } });
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }

  isEnabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.threshold;
  }

  private log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (!this.isEnabled(level)) return;
    const line = {
      time: new Date().toISOString(),
      level,
      service: this.options.service,
      msg,
      ...this.options.bindings,
      ...currentLogContext(),
      ...fields,
    };
    this.sink.write(`${JSON.stringify(redact(line))}\n`);
  }
}

export function parseLevel(value: string | undefined): LogLevel {
  return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info';
}

/** Errors are logged by name, message and stack: JSON.stringify(err) would give "{}". */
export function describeError(error: unknown, options: { stack?: boolean } = {}): Record<string, unknown> {
  if (error instanceof Error) {
    const described: Record<string, unknown> = { errorName: error.name, errorMessage: error.message };
    if (options.stack ?? true) described.stack = error.stack;
    return described;
  }
  return { errorMessage: String(error) };
}

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = REDACTED_KEYS.has(key.toLowerCase()) ? '[redacted]' : redact(item, depth + 1);
  }
  return out;
}
