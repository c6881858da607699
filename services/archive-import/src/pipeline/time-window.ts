/** --since (inclusive) and --until (exclusive), in ms since the epoch. */
export interface TimeWindow {
  since?: number;
  until?: number;
}

/** "2024-01-01" is midnight UTC; anything else must carry a time and zone Date.parse understands. */
export function parseInstant(value: string, option: string): number {
  const text = value.trim();
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const ms = Date.parse(dateOnly ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms) || (!dateOnly && !/\d{2}:\d{2}/.test(text))) {
    throw new RangeError(`${option} "${value}" is not a date (2024-01-31) or an ISO-8601 time (2024-01-31T12:00:00Z)`);
  }
  return ms;
}

export function parseTimeWindow(since: string | undefined, until: string | undefined): TimeWindow {
  const window: TimeWindow = {};
  if (since !== undefined) window.since = parseInstant(since, '--since');
  if (until !== undefined) window.until = parseInstant(until, '--until');
  if (window.since !== undefined && window.until !== undefined && window.since >= window.until) {
    throw new RangeError('--since must be before --until');
  }
  return window;
}

export function inWindow(window: TimeWindow, isoTime: string): boolean {
  if (window.since === undefined && window.until === undefined) return true;
  const ms = Date.parse(isoTime);
  if (window.since !== undefined && ms < window.since) return false;
  if (window.until !== undefined && ms >= window.until) return false;
  return true;
}
