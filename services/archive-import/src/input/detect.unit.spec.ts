import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectCompression, detectFormat } from './detect';

describe('detectCompression', () => {
  it('trusts the gzip magic bytes, not the name', () => {
    expect(detectCompression(gzipSync('{"a":1}\n'))).toBe('gzip');
    expect(detectCompression(Buffer.from('{"a":1}\n'))).toBe('none');
    expect(detectCompression(Buffer.from([0x1f]))).toBe('none');
  });
});

describe('detectFormat', () => {
  it('tells NDJSON, JSON arrays and CSV exports apart by their content', () => {
    expect(detectFormat('events.gz', Buffer.from('{"type":"page"}\n{"type":"page"}\n'))).toEqual({ format: 'ndjson' });
    expect(detectFormat('events.json', Buffer.from('\uFEFF  \n [ {"type":"page"} ]'))).toEqual({ format: 'json-array' });
    expect(detectFormat('whatever.txt', Buffer.from('id,anonymous_id,url\nm,a,u\n'))).toEqual({ format: 'csv' });
    expect(detectFormat('pages.csv', Buffer.from('"ID","Anonymous_ID","URL"\n'))).toEqual({ format: 'csv' });
    // An NDJSON line longer than the sniffed head is still NDJSON.
    expect(detectFormat('big.ndjson', Buffer.from(`{"a":"${'x'.repeat(100)}`))).toEqual({ format: 'ndjson' });
  });

  it('explains what it cannot read', () => {
    expect(detectFormat('empty.json', Buffer.from(' \n'))).toMatchObject({ format: undefined, reason: 'the file is empty' });
    expect(detectFormat('pretty.json', Buffer.from('{\n  "type": "page"\n}\n'))).toMatchObject({
      format: undefined,
      reason: expect.stringContaining('NDJSON'),
    });
    expect(detectFormat('notes.txt', Buffer.from('hello there\n'))).toMatchObject({ format: undefined });
  });

  it('fails a CSV export whose header cannot give one valid event, naming the columns it expected', () => {
    expect(detectFormat('tracks.csv.gz', Buffer.from('id;anonymous_id;event\nm;a;Signed Up\n'))).toEqual({
      format: undefined,
      reason: expect.stringMatching(
        /^the CSV header is separated by semicolons, not commas: expected a comma-separated header naming anonymous_id or user_id/,
      ),
    });
    expect(detectFormat('pages.tsv.csv', Buffer.from('id\tuser_id\n'))).toMatchObject({
      reason: expect.stringContaining('separated by tabs'),
    });
    expect(detectFormat('pages.csv', Buffer.from('"ID","URL"\nm,u\n'))).toEqual({
      format: undefined,
      reason: expect.stringMatching(/no anonymous_id or user_id column: .*; found: id, url$/),
    });
  });
});
