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
  if (looksLikeHeader || name.endsWith('.csv')) return { format: 'csv' };
  return { format: undefined, reason: 'not NDJSON, a JSON array or a CSV export with a header row' };
}
