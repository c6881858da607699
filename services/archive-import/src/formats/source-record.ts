/**
 * One record cut out of an input file, before it is parsed or validated. `end` is the byte
 * offset (in the decompressed content) just after the record and `endLine` the number of lines
 * it completes: once Kafka acknowledged a record and everything before it, a checkpoint at
 * (end, endLine) resumes exactly after it with correct line numbers.
 */
export type SourceRecord = TextRecord | RowRecord | BrokenRecord;

interface Position {
  /** 1-based line where the record starts (what a rejection reports). */
  line: number;
  end: number;
  endLine: number;
}

/** A JSON document (an NDJSON line or a JSON array element), still as text. */
export interface TextRecord extends Position {
  kind: 'text';
  text: string;
}

/** A CSV data row with its header. */
export interface RowRecord extends Position {
  kind: 'row';
  values: string[];
}

/** Something that cannot become an event whatever its content: too large, unparseable CSV. */
export interface BrokenRecord extends Position {
  kind: 'broken';
  reason: string;
  /** The start of the raw text, kept for the rejected topic. */
  excerpt: string;
}

/** The largest record kept in memory; Segment itself refuses events over 32 KB. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
/** How much of a broken record's text goes to the rejected topic. */
export const EXCERPT_CHARS = 2048;
