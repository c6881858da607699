import type { Checkpoint } from '../checkpoint/checkpoint';
import type { InputFormat } from '../input/detect';
import { CsvSplitter } from './csv';
import { JsonArraySplitter } from './json-array';
import { LineSplitter } from './ndjson';
import { DEFAULT_MAX_RECORD_BYTES, type SourceRecord } from './source-record';
import type { WarehouseTable } from './warehouse';

/** Cuts a file's bytes into records, whatever its format. */
export interface Splitter {
  push(chunk: Buffer): SourceRecord[];
  end(): SourceRecord[];
  headerInfo?(): { columns: string[]; table: WarehouseTable } | undefined;
}

/** The splitter of the file's format, starting where its checkpoint left off (`from`), or at the start. */
export function makeSplitter(
  file: string,
  format: InputFormat,
  from: Checkpoint | undefined,
  options: { maxRecordBytes?: number; csvTable?: WarehouseTable },
): Splitter {
  const offset = from?.offset ?? 0;
  const line = from?.line ?? 0;
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  switch (format) {
    case 'ndjson':
      return new LineSplitter({ offset, line }, max);
    case 'json-array':
      return new JsonArraySplitter({ offset, line, insideArray: offset > 0 }, max);
    case 'csv': {
      const splitter = new CsvSplitter(file, { offset, line, header: from?.csv }, options.csvTable);
      return { push: (chunk) => splitter.push(chunk), end: () => splitter.end(), headerInfo: () => splitter.headerInfo() };
    }
  }
}
