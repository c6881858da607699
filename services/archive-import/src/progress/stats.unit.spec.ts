import { describe, expect, it } from 'vitest';
import { etaSeconds, formatDuration, formatProgressLine, newStats, recordsPerSecond } from './stats';

describe('progress stats', () => {
  it('computes records/s and an ETA from the byte rate', () => {
    const stats = { ...newStats(0, 2, 1_000), doneBytes: 250, records: 5_000, rejected: 3, file: '/data/a.gz' };
    expect(recordsPerSecond(stats, 10_000)).toBe(500);
    expect(etaSeconds(stats, 10_000)).toBe(30);
    expect(etaSeconds(newStats(0, 1, 1_000), 10_000)).toBeNull();
    expect(formatProgressLine(stats, 10_000)).toBe(
      'progress 25.0% | 5,000 records | 500 records/s | rejected 3 | filtered 0 | ETA 30s | file 1/2 /data/a.gz',
    );
  });

  it('formats durations for people', () => {
    expect(formatDuration(null)).toBe('?');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h07m');
  });
});
