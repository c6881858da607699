import { DEFAULT_MAX_RECORD_BYTES, EXCERPT_CHARS, type SourceRecord } from './source-record';

/** The file is not a JSON array at all: nothing after the fault can be trusted. */
export class JsonArrayFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
    this.name = 'JsonArrayFormatError';
  }
}

/** The bytes that matter to the array's structure. */
const Char = {
  Newline: 0x0a,
  Space: 0x20,
  Tab: 0x09,
  Return: 0x0d,
  Quote: 0x22,
  Backslash: 0x5c,
  Comma: 0x2c,
  OpenBracket: 0x5b,
  CloseBracket: 0x5d,
  OpenBrace: 0x7b,
  CloseBrace: 0x7d,
} as const;

type State = 'before-array' | 'between' | 'in-element' | 'after-array';

export interface ArrayPosition {
  offset: number;
  line: number;
  /** true when resuming inside the array (after an element), false at the start of the file. */
  insideArray: boolean;
}

/** The UTF-8 byte order mark's bytes (EF BB BF), skipped before the array opens. */
function isByteOrderMark(byte: number): boolean {
  return byte === 0xef || byte === 0xbb || byte === 0xbf;
}

function isWhitespace(byte: number): boolean {
  return byte === Char.Space || byte === Char.Newline || byte === Char.Return || byte === Char.Tab;
}

/**
 * Cuts a top-level JSON array into its elements without parsing the whole document: it tracks
 * only strings, escapes and bracket depth, so memory holds one element at a time (bounded by
 * maxRecordBytes) however large the array. Each element is then parsed on its own, so one bad
 * element is one rejected record, not a failed file.
 */
export class JsonArraySplitter {
  private state: State;
  private offset: number;
  /** Newlines seen so far (the current line is line + 1). */
  private line: number;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private elementLine = 0;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private oversized = false;
  private excerpt = '';
  constructor(
    position: ArrayPosition = { offset: 0, line: 0, insideArray: false },
    private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
  ) {
    this.state = position.insideArray ? 'between' : 'before-array';
    this.offset = position.offset;
    this.line = position.line;
  }

  push(chunk: Buffer): SourceRecord[] {
    const records: SourceRecord[] = [];
    let elementStart = this.state === 'in-element' ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      // Inside an element, scanElement counts the newlines it passes over.
      if (byte === Char.Newline && this.state !== 'in-element') this.line++;
      switch (this.state) {
        case 'before-array':
          if (byte === Char.OpenBracket) this.state = 'between';
          else if (!isWhitespace(byte) && !isByteOrderMark(byte))
            throw new JsonArrayFormatError('expected a JSON array starting with "["', this.line + 1);
          break;
        case 'between':
          if (byte === Char.CloseBracket) this.state = 'after-array';
          else if (byte !== Char.Comma && !isWhitespace(byte)) {
            this.state = 'in-element';
            this.elementLine = this.line + 1;
            elementStart = i;
            this.depth = 0;
            this.inString = false;
            this.escaped = false;
            i = this.scanElement(chunk, i, elementStart, records) - 1;
            if (this.state !== 'in-element') elementStart = -1;
          }
          break;
        case 'in-element':
          i = this.scanElement(chunk, i, elementStart, records) - 1;
          if (this.state !== 'in-element') elementStart = -1;
          break;
        case 'after-array':
          if (!isWhitespace(byte)) throw new JsonArrayFormatError('unexpected content after the closing "]"', this.line + 1);
          break;
      }
    }
    if (this.state === 'in-element' && elementStart >= 0) this.keep(chunk.subarray(elementStart));
    this.offset += chunk.length;
    return records;
  }

  end(): SourceRecord[] {
    if (this.state === 'before-array') throw new JsonArrayFormatError('the file holds no JSON array', this.line + 1);
    if (this.state !== 'after-array') throw new JsonArrayFormatError('the JSON array is not closed', this.line + 1);
    return [];
  }

  /**
   * Scans from `i` (the element's first byte or a continuation) to the element's end. Returns
   * the index after the last byte consumed; emits the element when it ends in this chunk.
   */
  private scanElement(chunk: Buffer, i: number, elementStart: number, records: SourceRecord[]): number {
    for (; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (this.inString) {
        if (byte === Char.Newline) this.line++;
        if (this.escaped) this.escaped = false;
        else if (byte === Char.Backslash) this.escaped = true;
        else if (byte === Char.Quote) {
          this.inString = false;
          if (this.depth === 0) return this.emit(chunk, elementStart, i + 1, records);
        }
        continue;
      }
      if (byte === Char.Quote) this.inString = true;
      else if (byte === Char.OpenBrace || byte === Char.OpenBracket) this.depth++;
      else if (byte === Char.CloseBrace || byte === Char.CloseBracket) {
        if (this.depth === 0) return this.emit(chunk, elementStart, i, records); // a scalar ended by "]"
        this.depth--;
        if (this.depth === 0) return this.emit(chunk, elementStart, i + 1, records);
      } else if (this.depth === 0 && (byte === Char.Comma || isWhitespace(byte))) {
        return this.emit(chunk, elementStart, i, records); // a scalar (number, true, null) ended
      } else if (byte === Char.Newline) this.line++;
    }
    return i;
  }

  private keep(part: Buffer): void {
    if (this.oversized) {
      this.partBytes += part.length;
      return;
    }
    if (this.partBytes + part.length > this.maxRecordBytes) {
      this.oversized = true;
      this.excerpt = Buffer.concat([...this.parts, part])
        .subarray(0, EXCERPT_CHARS)
        .toString('utf8');
      this.parts = [];
    } else this.parts.push(Buffer.from(part));
    this.partBytes += part.length;
  }

  /** `to` is exclusive; the element's last byte is chunk[to - 1]. */
  private emit(chunk: Buffer, elementStart: number, to: number, records: SourceRecord[]): number {
    const from = Math.max(elementStart, 0);
    const size = this.partBytes + (to - from);
    // Offset of the element's end in the whole stream: what the chunk started at plus `to`.
    const end = this.offset + to;
    if (this.oversized || size > this.maxRecordBytes) {
      const excerpt = this.oversized
        ? this.excerpt
        : Buffer.concat([...this.parts, chunk.subarray(from, to)])
            .subarray(0, EXCERPT_CHARS)
            .toString('utf8');
      records.push({
        kind: 'broken',
        line: this.elementLine,
        end,
        endLine: this.line,
        reason: `array element is ${size} bytes, over the ${this.maxRecordBytes}-byte limit`,
        excerpt,
      });
    } else {
      const text =
        this.parts.length === 0
          ? chunk.toString('utf8', from, to)
          : Buffer.concat([...this.parts, chunk.subarray(from, to)]).toString('utf8');
      records.push({ kind: 'text', line: this.elementLine, end, endLine: this.line, text });
    }
    this.parts = [];
    this.partBytes = 0;
    this.oversized = false;
    this.excerpt = '';
    this.state = 'between';
    // A scalar ended by "]" or whitespace leaves that byte to the caller's loop.
    return to;
  }
}
