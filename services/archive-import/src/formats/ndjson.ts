import { DEFAULT_MAX_RECORD_BYTES, EXCERPT_CHARS, type SourceRecord } from './source-record';

const NEWLINE = 0x0a;

export interface SplitterPosition {
  /** Byte offset of the first byte the splitter will be given. */
  offset: number;
  /** Lines already consumed before that offset. */
  line: number;
}

/**
 * Cuts newline-delimited JSON into lines with their line numbers and end offsets. Blank lines
 * are skipped (they still count as lines); a trailing \r is dropped; a line longer than
 * maxRecordBytes is not buffered: it is reported as broken and skipped, so memory stays bounded
 * whatever the input.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of the current line discarded because it is too long (0 when not discarding). */
  private discarded = 0;
  private excerpt = '';
  private offset: number;
  private line: number;
  private atStart: boolean;

  constructor(
    position: SplitterPosition = { offset: 0, line: 0 },
    private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
  ) {
    this.offset = position.offset;
    this.line = position.line;
    this.atStart = position.offset === 0;
  }

  push(chunk: Buffer): SourceRecord[] {
    const records: SourceRecord[] = [];
    let from = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, from);
      if (newline === -1) break;
      this.finishLine(chunk, from, newline + 1, records);
      from = newline + 1;
    }
    if (from < chunk.length) this.keep(chunk.subarray(from));
    return records;
  }

  /** The last line when the input does not end with a newline. */
  end(): SourceRecord[] {
    const records: SourceRecord[] = [];
    if (this.pendingBytes > 0 || this.discarded > 0) this.finishLine(Buffer.alloc(0), 0, 0, records);
    return records;
  }

  private keep(part: Buffer): void {
    if (this.discarded > 0) {
      this.discarded += part.length;
      return;
    }
    if (this.pendingBytes + part.length > this.maxRecordBytes) {
      this.excerpt = Buffer.concat([...this.pending, part])
        .subarray(0, EXCERPT_CHARS)
        .toString('utf8');
      this.discarded = this.pendingBytes + part.length;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    // Copy: the caller's chunk may be reused by the stream.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private finishLine(chunk: Buffer, from: number, to: number, records: SourceRecord[]): void {
    const length = to - from;
    this.line += 1;
    const line = this.line;
    if (this.discarded > 0 || this.pendingBytes + length > this.maxRecordBytes) {
      const size = this.discarded + this.pendingBytes + length;
      const excerpt =
        this.discarded > 0
          ? this.excerpt
          : Buffer.concat([...this.pending, chunk.subarray(from, to)])
              .subarray(0, EXCERPT_CHARS)
              .toString('utf8');
      this.offset += size;
      this.reset();
      records.push({
        kind: 'broken',
        line,
        end: this.offset,
        endLine: line,
        reason: `line is ${size} bytes, over the ${this.maxRecordBytes}-byte limit`,
        excerpt,
      });
      return;
    }
    let text: string;
    if (this.pendingBytes === 0) text = chunk.toString('utf8', from, to);
    else text = Buffer.concat([...this.pending, chunk.subarray(from, to)]).toString('utf8');
    this.offset += this.pendingBytes + length;
    this.reset();
    if (this.atStart) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const trimmed = text.trim();
    if (trimmed.length > 0) records.push({ kind: 'text', line, end: this.offset, endLine: line, text: trimmed });
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarded = 0;
    this.excerpt = '';
  }
}
