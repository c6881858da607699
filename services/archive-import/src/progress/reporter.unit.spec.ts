import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgressReporter } from './reporter';
import { newStats } from './stats';

function stream(isTTY: boolean) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return {
    stream: Object.assign(out, {
      isTTY,
      columns: 120,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    }) as unknown as NodeJS.WriteStream,
    text: () => text,
  };
}

describe('progress reporter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a plain line per interval when not on a terminal, and a last one at the end', () => {
    const stats = newStats(0, 1, 1_000);
    const out = stream(false);
    const reporter = createProgressReporter(stats, { mode: 'auto', stream: out.stream, intervalMs: 10_000, now: () => Date.now() });
    reporter.start();
    stats.records = 20_000;
    stats.doneBytes = 500;
    stats.file = '/data/a.ndjson';
    vi.advanceTimersByTime(10_000);
    expect(out.text()).toBe(
      'progress 50.0% | 20,000 records | 2,000 records/s | rejected 0 | filtered 0 | ETA 10s | file 1/1 /data/a.ndjson\n',
    );
    stats.doneBytes = 1_000;
    vi.advanceTimersByTime(5_000);
    reporter.stop();
    expect(out.text().trim().split('\n')).toHaveLength(2);
    vi.advanceTimersByTime(60_000);
    expect(out.text().trim().split('\n')).toHaveLength(2);
  });

  it('draws a bar with records, rate, ETA and rejected on a terminal', () => {
    const stats = { ...newStats(0, 2, 1_000), records: 5_000, rejected: 7, doneBytes: 250, file: '/data/day-1.ndjson.gz' };
    const out = stream(true);
    const reporter = createProgressReporter(stats, { mode: 'auto', stream: out.stream, intervalMs: 10_000, now: () => Date.now() });
    reporter.start();
    vi.advanceTimersByTime(1_000);
    reporter.stop();
    expect(out.text()).toMatch(/25% \| 5,000 records \| [\d,]+\/s \| ETA \S+ \| rejected 7 \| day-1\.ndjson\.gz \(1\/2\)/);
  });

  it('stays silent with --progress none', () => {
    const out = stream(true);
    const reporter = createProgressReporter(newStats(0, 1, 1), { mode: 'none', stream: out.stream, intervalMs: 1, now: () => Date.now() });
    reporter.start();
    vi.advanceTimersByTime(100);
    reporter.stop();
    expect(out.text()).toBe('');
  });
});
