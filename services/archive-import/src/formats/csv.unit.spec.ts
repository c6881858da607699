import { describe, expect, it } from 'vitest';
import { CsvFormatError, CsvSplitter } from './csv';
import type { SourceRecord } from './source-record';

function split(content: Buffer, size: number, splitter: CsvSplitter): SourceRecord[] {
  const records: SourceRecord[] = [];
  for (let at = 0; at < content.length; at += size) records.push(...splitter.push(content.subarray(at, at + size)));
  records.push(...splitter.end());
  return records;
}

const csv = Buffer.from('\uFEFFID,Anonymous_ID,Title\r\nm1,a1,"Hello, ""world"""\r\nm2,a2,"two\nlines"\r\n\r\nm3,a3\r\nm4,a4,last');

describe('CsvSplitter', () => {
  it('reads the header, then rows with start lines and end offsets; a short row is broken', () => {
    for (const size of [1, 5, 17, csv.length]) {
      const splitter = new CsvSplitter('/exports/pages.csv');
      const records = split(csv, size, splitter);
      expect(splitter.headerInfo()).toEqual({ columns: ['id', 'anonymous_id', 'title'], table: 'pages' });
      expect(records).toEqual([
        { kind: 'row', line: 2, end: 52, endLine: 2, values: ['m1', 'a1', 'Hello, "world"'] },
        { kind: 'row', line: 3, end: 71, endLine: 4, values: ['m2', 'a2', 'two\nlines'] },
        expect.objectContaining({ kind: 'broken', line: 6, endLine: 6, reason: 'CSV row has 2 fields, the header has 3' }),
        { kind: 'row', line: 7, end: csv.length, endLine: 7, values: ['m4', 'a4', 'last'] },
      ]);
    }
  });

  it('resumes mid-file with the saved header and position', () => {
    const full = split(csv, 8, new CsvSplitter('pages.csv'));
    const after = full[1] as SourceRecord;
    const resumed = split(
      csv.subarray(after.end),
      3,
      new CsvSplitter('pages.csv', {
        offset: after.end,
        line: after.endLine,
        header: { columns: ['id', 'anonymous_id', 'title'], table: 'pages' },
      }),
    );
    expect(resumed).toEqual(full.slice(2));
  });

  it('takes the table from the header when the name does not say, and refuses what it cannot place', () => {
    const splitter = new CsvSplitter('export-2024.csv');
    split(Buffer.from('id,anonymous_id,event,event_text\nm1,a1,signed_up,Signed Up\n'), 10, splitter);
    expect(splitter.headerInfo()?.table).toBe('tracks');
    expect(() => split(Buffer.from('colour,size\nred,2\n'), 10, new CsvSplitter('things.csv'))).toThrow(CsvFormatError);
    const forced = new CsvSplitter('things.csv', undefined, 'identifies');
    split(Buffer.from('colour,size\nred,2\n'), 10, forced);
    expect(forced.headerInfo()?.table).toBe('identifies');
    expect(() => split(Buffer.from(''), 10, new CsvSplitter('pages.csv'))).toThrow(/no header/);
  });
});
