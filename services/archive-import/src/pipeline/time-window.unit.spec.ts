import { describe, expect, it } from 'vitest';
import { inWindow, parseInstant, parseTimeWindow } from './time-window';

describe('time window', () => {
  it('reads dates as UTC midnight and times with their zone', () => {
    expect(parseInstant('2024-02-01', '--since')).toBe(Date.UTC(2024, 1, 1));
    expect(parseInstant('2024-02-01T10:00:00+02:00', '--since')).toBe(Date.UTC(2024, 1, 1, 8));
    expect(() => parseInstant('last tuesday', '--since')).toThrow(/--since "last tuesday" is not a date/);
    expect(() => parseInstant('2024', '--until')).toThrow(/--until/);
  });

  it('includes --since and excludes --until', () => {
    const window = parseTimeWindow('2024-01-01', '2024-02-01');
    expect(inWindow(window, '2023-12-31T23:59:59.999Z')).toBe(false);
    expect(inWindow(window, '2024-01-01T00:00:00.000Z')).toBe(true);
    expect(inWindow(window, '2024-01-31T23:59:59.999Z')).toBe(true);
    expect(inWindow(window, '2024-02-01T00:00:00.000Z')).toBe(false);
    expect(inWindow(parseTimeWindow(undefined, undefined), '1999-01-01T00:00:00Z')).toBe(true);
    expect(inWindow(parseTimeWindow('2024-01-01', undefined), '2030-01-01T00:00:00Z')).toBe(true);
  });

  it('refuses an empty window', () => {
    expect(() => parseTimeWindow('2024-02-01', '2024-01-01')).toThrow(/before/);
  });
});
