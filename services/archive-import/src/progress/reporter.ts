import { basename } from 'node:path';
import { SingleBar } from 'cli-progress';
import { formatCount, formatDuration, etaSeconds, formatProgressLine, recordsPerSecond, type RunStats } from './stats';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressReporter {
  start(): void;
  stop(): void;
}

interface Options {
  mode: ProgressMode;
  stream: NodeJS.WriteStream;
  /** How often a plain line is written. */
  intervalMs: number;
  now?: () => number;
}

/**
 * A bar on a terminal (records, records/s, ETA, rejected), plain periodic lines otherwise.
 * Both read the live stats on a timer, so the import loop never waits for the display.
 */
export function createProgressReporter(stats: RunStats, options: Options): ProgressReporter {
  const now = options.now ?? Date.now;
  const mode = options.mode === 'auto' ? (options.stream.isTTY ? 'bar' : 'lines') : options.mode;
  if (mode === 'none') return { start: () => undefined, stop: () => undefined };
  if (mode === 'lines') {
    let timer: NodeJS.Timeout | undefined;
    return {
      start() {
        timer = setInterval(() => options.stream.write(`${formatProgressLine(stats, now())}\n`), options.intervalMs);
        timer.unref();
      },
      stop() {
        if (timer) clearInterval(timer);
        options.stream.write(`${formatProgressLine(stats, now())}\n`);
      },
    };
  }
  const bar = new SingleBar({
    stream: options.stream,
    format: ' {bar} {percentage}% | {records} records | {rate}/s | ETA {eta} | rejected {rejected} | {file}',
    barsize: 24,
    hideCursor: true,
    noTTYOutput: options.mode === 'bar',
    etaBuffer: 50,
  });
  const payload = () => ({
    records: formatCount(stats.records),
    rate: formatCount(recordsPerSecond(stats, now())),
    eta: formatDuration(etaSeconds(stats, now())),
    rejected: formatCount(stats.rejected),
    file: stats.file ? `${basename(stats.file)} (${stats.filesDone + 1}/${stats.files})` : '',
  });
  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      bar.start(Math.max(1, stats.totalBytes), 0, payload());
      timer = setInterval(() => bar.update(stats.doneBytes, payload()), 200);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      bar.update(stats.doneBytes, payload());
      bar.stop();
      // Keep the final bar on screen: the summary starts on the next line.
      options.stream.write('\n');
    },
  };
}
