import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-message (or per-request) context, so every log line carries the ids without threading them. */
export interface LogContext {
  correlationId?: string;
  causationId?: string | null;
  eventId?: string;
  [key: string]: unknown;
}

const storage = new AsyncLocalStorage<LogContext>();

export function runWithLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, fn);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
