import { describe, expect, it } from 'vitest';
import { exitCodeOf } from './cli/import-command';
import { formatSummary, type RunSummary } from './summary';

const summary: RunSummary = {
  dryRun: false,
  topics: { raw: 'p.segment.events.raw.v1', rejected: 'p.segment.events.rejected.v1' },
  files: [
    {
      file: '/a/one.ndjson.gz',
      status: 'resumed',
      format: 'ndjson',
      compression: 'gzip',
      records: 10,
      imported: 9,
      rejected: 1,
      filtered: 0,
      resumedFrom: { line: 2000, records: 2000, offset: 99 },
    },
    { file: '/a/notes.txt', status: 'unrecognised', records: 0, imported: 0, rejected: 0, filtered: 0, message: 'not NDJSON' },
  ],
  totals: { files: 2, records: 10, imported: 9, rejected: 1, filtered: 0 },
  rejections: [{ file: '/a/one.ndjson.gz', line: 2005, reason: 'not valid JSON' }],
  rejectionsNotShown: 0,
  durationMs: 2_000,
  recordsPerSecond: 5,
  maxRssBytes: 200 * 1024 * 1024,
  cpuMs: 1_000,
  batchSize: 2_000,
  outcome: 'completed',
  exitCode: 0,
};

describe('summary', () => {
  it('reports files, totals, rejections with file and line, and what a resume may have re-sent', () => {
    const text = formatSummary(summary);
    expect(text).toContain('resumed      /a/one.ndjson.gz [ndjson, gzip]');
    expect(text).toContain('resumed after line 2,000 (2,000 records were already acknowledged)');
    expect(text).toContain('unrecognised /a/notes.txt');
    expect(text).toContain('Total: 2 files, 10 records: 9 imported, 1 rejected, 0 outside --since/--until.');
    expect(text).toContain('one.ndjson.gz:2005: not valid JSON');
    expect(text).toContain('Every rejected record is in p.segment.events.rejected.v1');
    expect(text).toContain('up to one batch (2,000 records)');
    expect(formatSummary({ ...summary, dryRun: true, topics: null })).toContain('9 valid');
  });

  it('maps outcomes to exit codes', () => {
    expect(exitCodeOf('completed', false, false)).toBe(0);
    expect(exitCodeOf('completed', false, true)).toBe(1);
    expect(exitCodeOf('completed', true, true)).toBe(3);
    expect(exitCodeOf('checkpoint-error', false, false)).toBe(3);
    expect(exitCodeOf('kafka-error', true, true)).toBe(4);
    expect(exitCodeOf('interrupted', false, false)).toBe(130);
  });
});
