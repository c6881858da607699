export type Compression = 'gzip' | 'none';
export type InputFormat = 'ndjson' | 'json-array' | 'csv';

/** How many leading bytes format detection looks at. */
export const SNIFF_BYTES = 64 * 1024;

/** gzip's magic number: 1f 8b. Extensions lie (a .json that is gzipped, a .gz that is not). */
export function detectCompression(head: Buffer): Compression {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b ? 'gzip' : 'none';
}

export type FormatDetection = { format: InputFormat } | { format: undefined; reason: string };

/**
 * The format of the (decompressed) content from its first bytes: "[" starts a JSON array, "{"
 * a JSON object per line; otherwise a header row of a warehouse CSV export. The file name is
 * only a tie-breaker.
 */
export function detectFormat(fileName: string, head: Buffer): FormatDetection {
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trimStart();
  if (trimmed.length === 0) return { format: undefined, reason: 'the file is empty' };
  const first = trimmed.charAt(0);
  if (first === '[') return { format: 'json-array' };
  if (first === '{') {
    const newline = trimmed.indexOf('\n');
    if (newline === -1) return { format: 'ndjson' };
    try {
      JSON.parse(trimmed.slice(0, newline));
      return { format: 'ndjson' };
    } catch {
      return {
        format: undefined,
        reason: 'starts with "{" but its first line is not a JSON object: expected one event per line (NDJSON) or a JSON array',
      };
    }
  }
  const name = fileName.toLowerCase().replace(/\.gz$/, '');
  const firstLine = trimmed.split(/\r?\n/, 1)[0] ?? '';
  const looksLikeHeader = /^"?[a-z_][a-z0-9_]*"?(,"?[a-z_][a-z0-9_]*"?)+$/i.test(firstLine.trim());
  if (!looksLikeHeader && !name.endsWith('.csv'))
    return { format: undefined, reason: 'not NDJSON, a JSON array or a CSV export with a header row' };
  const problem = csvHeaderProblem(firstLine);
  return problem === undefined ? { format: 'csv' } : { format: undefined, reason: problem };
}

/** Columns that name who an event is about: a warehouse export without either cannot give one valid event. */
export const CSV_IDENTITY_COLUMNS = ['anonymous_id', 'user_id'] as const;
const OTHER_DELIMITERS: ReadonlyArray<[string, string]> = [
  [';', 'semicolons'],
  ['\t', 'tabs'],
  ['|', 'pipes'],
];

/**
 * What is wrong with a CSV export's header row, checked before any row is read: another
 * delimiter than the comma, or no column naming the person. Otherwise every row would be
 * rejected one by one with the same validation message.
 */
export function csvHeaderProblem(headerLine: string): string | undefined {
  const header = headerLine.replace(/^\uFEFF/, '');
  const expected = `expected a comma-separated header naming ${CSV_IDENTITY_COLUMNS.join(' or ')} (Segment's warehouse columns: id, anonymous_id, user_id, timestamp, ...)`;
  if (!header.includes(',')) {
    const other = OTHER_DELIMITERS.find(([delimiter]) => header.includes(delimiter));
    if (other !== undefined) return `the CSV header is separated by ${other[1]}, not commas: ${expected}`;
  }
  const columns = header.split(',').map((cell) => cell.trim().replace(/^"|"$/g, '').trim().toLowerCase());
  if (!CSV_IDENTITY_COLUMNS.some((column) => columns.includes(column))) {
    return `the CSV header has no ${CSV_IDENTITY_COLUMNS.join(' or ')} column: ${expected}; found: ${columns.join(', ')}`;
  }
  return undefined;
}
