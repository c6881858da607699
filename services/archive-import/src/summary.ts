import { basename } from 'node:path';
import type { InputFormat, Compression } from './input/detect';
import { formatCount, formatDuration } from './progress/stats';

/** `validated`: read by --dry-run. */
export type FileStatus = 'imported' | 'validated' | 'resumed' | 'skipped' | 'unrecognised' | 'failed' | 'interrupted';

export interface FileSummary {
  file: string;
  status: FileStatus;
  format?: InputFormat;
  compression?: Compression;
  /** Processed in this run. */
  records: number;
  imported: number;
  rejected: number;
  filtered: number;
  /** Where this run started, when it resumed from a checkpoint. */
  resumedFrom?: { line: number; records: number; offset: number };
  /** Where the file's checkpoint stands at the end of the run (acknowledged position). */
  checkpoint?: { line: number; records: number; offset: number; complete: boolean };
  message?: string;
}

export interface RejectionNote {
  file: string;
  line: number;
  reason: string;
}

export interface RunSummary {
  dryRun: boolean;
  topics: { raw: string; rejected: string } | null;
  files: FileSummary[];
  totals: { files: number; records: number; imported: number; rejected: number; filtered: number };
  /** The first rejections, for the terminal; all of them are in the rejected topic. */
  rejections: RejectionNote[];
  rejectionsNotShown: number;
  durationMs: number;
  recordsPerSecond: number;
  /** Peak resident memory of the process (process.resourceUsage().maxRSS), worker threads included. */
  maxRssBytes: number;
  /** CPU time of the whole process (all threads), user + system. */
  cpuMs: number;
  batchSize: number;
  outcome: 'completed' | 'interrupted' | 'kafka-error' | 'checkpoint-error';
  exitCode: number;
}

export function totalsOf(files: readonly FileSummary[]): RunSummary['totals'] {
  const totals = { files: 0, records: 0, imported: 0, rejected: 0, filtered: 0 };
  for (const file of files) {
    totals.files++;
    totals.records += file.records;
    totals.imported += file.imported;
    totals.rejected += file.rejected;
    totals.filtered += file.filtered;
  }
  return totals;
}

function describeFile(file: FileSummary, dryRun: boolean): string {
  const counts = `${formatCount(file.records)} records: ${formatCount(file.imported)} ${dryRun ? 'valid' : 'imported'}, ${formatCount(file.rejected)} rejected, ${formatCount(file.filtered)} filtered`;
  const kind = file.format ? ` [${file.format}${file.compression === 'gzip' ? ', gzip' : ''}]` : '';
  let text = `  ${file.status.padEnd(12)} ${file.file}${kind}`;
  if (file.status !== 'unrecognised' && file.status !== 'skipped') text += `\n               ${counts}`;
  if (file.resumedFrom) {
    text += `\n               resumed after line ${formatCount(file.resumedFrom.line)} (${formatCount(file.resumedFrom.records)} records were already acknowledged)`;
  }
  if (file.message) text += `\n               ${file.message}`;
  return text;
}

/** The end-of-run report: per file, totals, the first rejections with file and line. */
export function formatSummary(summary: RunSummary, batchNote = true): string {
  const { totals } = summary;
  const lines = [
    summary.dryRun ? 'Dry run: validated and counted, nothing was written.' : `Imported into ${summary.topics?.raw ?? '?'}.`,
    ...summary.files.map((file) => describeFile(file, summary.dryRun)),
    '',
    `Total: ${formatCount(totals.files)} files, ${formatCount(totals.records)} records: ${formatCount(totals.imported)} ${summary.dryRun ? 'valid' : 'imported'}, ${formatCount(totals.rejected)} rejected, ${formatCount(totals.filtered)} outside --since/--until.`,
    `Took ${formatDuration(summary.durationMs / 1000)} (${formatCount(summary.recordsPerSecond)} records/s), peak memory ${formatCount(summary.maxRssBytes / 1024 / 1024)} MB.`,
  ];
  if (summary.rejections.length > 0) {
    lines.push('', 'Rejected records:');
    for (const note of summary.rejections) lines.push(`  ${basename(note.file)}:${note.line}: ${note.reason}`);
    if (summary.rejectionsNotShown > 0) lines.push(`  ... and ${formatCount(summary.rejectionsNotShown)} more`);
    if (summary.topics) lines.push(`  Every rejected record is in ${summary.topics.rejected} with its file, line and reason.`);
  }
  if (summary.outcome === 'interrupted') {
    lines.push('', "Interrupted: each file's checkpoint holds its last acknowledged position; run the same command again to resume.");
  }
  if (summary.outcome === 'checkpoint-error') {
    lines.push(
      '',
      'Stopped: a checkpoint could not be written. Fix the folder (or pass --checkpoint-dir / --no-checkpoint) and run again.',
    );
  }
  if (summary.outcome === 'kafka-error') {
    lines.push(
      '',
      'Stopped: Kafka did not acknowledge a batch. Checkpoints hold the last acknowledged position; run the same command again to resume.',
    );
  }
  if (batchNote && summary.files.some((file) => file.resumedFrom)) {
    lines.push(
      '',
      `Resumed files: up to one batch (${formatCount(summary.batchSize)} records) after each checkpoint may have been sent before the interruption and was sent again, with the same messageIds and envelope ids; consumers dedupe by id.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
