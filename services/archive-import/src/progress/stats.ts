/** Live counters of a run, read by the progress display. */
export interface RunStats {
  startedAt: number;
  /** Bytes of all input files, as stored (compressed when gzipped). */
  totalBytes: number;
  /** Bytes read from disk so far, plus the parts of files skipped or resumed past. */
  doneBytes: number;
  /** Records read and processed in this run (imported + rejected + filtered). */
  records: number;
  imported: number;
  rejected: number;
  filtered: number;
  files: number;
  filesDone: number;
  file: string | null;
}

export function newStats(startedAt: number, files: number, totalBytes: number): RunStats {
  return { startedAt, totalBytes, doneBytes: 0, records: 0, imported: 0, rejected: 0, filtered: 0, files, filesDone: 0, file: null };
}

export function recordsPerSecond(stats: RunStats, now: number): number {
  const seconds = (now - stats.startedAt) / 1000;
  return seconds > 0 ? stats.records / seconds : 0;
}

/** Seconds left at the byte rate so far; null until there is a rate to go by. */
export function etaSeconds(stats: RunStats, now: number): number | null {
  const seconds = (now - stats.startedAt) / 1000;
  if (seconds <= 0 || stats.doneBytes <= 0) return null;
  const rate = stats.doneBytes / seconds;
  return Math.max(0, (stats.totalBytes - stats.doneBytes) / rate);
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const formatCount = (value: number): string => number.format(value);

/** One plain progress line, for logs and pipes where a redrawn bar would be noise. */
export function formatProgressLine(stats: RunStats, now: number): string {
  const percent = stats.totalBytes > 0 ? Math.min(100, (100 * stats.doneBytes) / stats.totalBytes) : 0;
  return [
    `progress ${percent.toFixed(1)}%`,
    `${formatCount(stats.records)} records`,
    `${formatCount(recordsPerSecond(stats, now))} records/s`,
    `rejected ${formatCount(stats.rejected)}`,
    `filtered ${formatCount(stats.filtered)}`,
    `ETA ${formatDuration(etaSeconds(stats, now))}`,
    `file ${stats.filesDone + (stats.file ? 1 : 0)}/${stats.files}${stats.file ? ` ${stats.file}` : ''}`,
  ].join(' | ');
}
