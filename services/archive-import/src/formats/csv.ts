import { parse, type CsvError, type Info, type Parser } from 'csv-parse';
import { EXCERPT_CHARS, type SourceRecord } from './source-record';
import { detectWarehouseTable, normaliseColumns, type WarehouseTable } from './warehouse';

export class CsvFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

export interface CsvPosition {
  offset: number;
  line: number;
  /** Known when resuming after the header (the resumed stream starts mid-file, headerless). */
  header?: { columns: string[]; table: WarehouseTable };
}

function countNewlines(values: readonly string[]): number {
  let count = 0;
  for (const value of values) {
    let at = value.indexOf('\n');
    while (at !== -1) {
      count++;
      at = value.indexOf('\n', at + 1);
    }
  }
  return count;
}

/**
 * A warehouse CSV export cut into rows (csv-parse does the quoting rules). The first row is the
 * header; the table kind comes from the file name, the header, or the caller. A row whose field
 * count differs from the header is reported broken rather than mapped to the wrong columns.
 */
export class CsvSplitter {
  private readonly parser: Parser;
  private header: { columns: string[]; table: WarehouseTable } | undefined;
  private readonly baseOffset: number;
  private readonly baseLine: number;
  private out: SourceRecord[] = [];
  private fatal: Error | undefined;

  constructor(
    private readonly fileName: string,
    position: CsvPosition = { offset: 0, line: 0 },
    private readonly forcedTable?: WarehouseTable,
  ) {
    this.header = position.header;
    this.baseOffset = position.offset;
    this.baseLine = position.line;
    this.parser = parse({
      bom: position.offset === 0,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
    });
    this.parser.on('skip', (error: CsvError) => {
      const line = this.baseLine + (typeof error.lines === 'number' ? error.lines : 0);
      const info = this.parser.info;
      this.out.push({
        kind: 'broken',
        line,
        end: this.baseOffset + info.bytes,
        endLine: this.baseLine + info.lines,
        reason: `CSV: ${error.message}`,
        excerpt: '',
      });
    });
    this.parser.on('error', (error: Error) => {
      this.fatal = error;
    });
  }

  /** Set once the header row was read (the checkpoint keeps it for resuming). */
  headerInfo(): { columns: string[]; table: WarehouseTable } | undefined {
    return this.header;
  }

  push(chunk: Buffer): SourceRecord[] {
    this.parser.write(chunk);
    return this.drain();
  }

  end(): SourceRecord[] {
    this.parser.end();
    const records = this.drain();
    if (!this.header) throw new CsvFormatError('the CSV file has no header row');
    return records;
  }

  private drain(): SourceRecord[] {
    let item: { record: string[]; info: Info } | null;
    while ((item = this.parser.read() as { record: string[]; info: Info } | null) !== null) this.accept(item.record, item.info);
    if (this.fatal) throw new CsvFormatError(`CSV: ${this.fatal.message}`);
    const records = this.out;
    this.out = [];
    return records;
  }

  private accept(values: string[], info: Info): void {
    const end = this.baseOffset + info.bytes;
    const endLine = this.baseLine + info.lines;
    const line = endLine - countNewlines(values);
    if (!this.header) {
      const columns = normaliseColumns(values);
      const table = this.forcedTable ?? detectWarehouseTable(this.fileName, columns);
      if (!table) {
        throw new CsvFormatError(
          'cannot tell which warehouse table this CSV holds: name the file pages/identifies/tracks, or pass --csv-table',
        );
      }
      this.header = { columns, table };
      return;
    }
    if (values.length !== this.header.columns.length) {
      this.out.push({
        kind: 'broken',
        line,
        end,
        endLine,
        reason: `CSV row has ${values.length} fields, the header has ${this.header.columns.length}`,
        excerpt: values.join(',').slice(0, EXCERPT_CHARS),
      });
      return;
    }
    this.out.push({ kind: 'row', line, end, endLine, values });
  }
}
