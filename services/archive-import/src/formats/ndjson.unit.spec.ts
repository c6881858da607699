import { describe, expect, it } from 'vitest';
import { LineSplitter } from './ndjson';
import type { SourceRecord } from './source-record';

/** Feeds `content` in chunks of `size` bytes. */
function split(content: Buffer, size: number, splitter = new LineSplitter()): SourceRecord[] {
  const records: SourceRecord[] = [];
  for (let at = 0; at < content.length; at += size) records.push(...splitter.push(content.subarray(at, at + size)));
  records.push(...splitter.end());
  return records;
}

const content = Buffer.from('\uFEFF{"a":1}\n\n{"b":"é"}\r\n   \n{"c":3}', 'utf8');

describe('LineSplitter', () => {
  it('cuts lines with their 1-based line numbers and end offsets, whatever the chunk size', () => {
    const expected = [
      { kind: 'text', line: 1, end: 11, endLine: 1, text: '{"a":1}' },
      { kind: 'text', line: 3, end: 24, endLine: 3, text: '{"b":"é"}' },
      { kind: 'text', line: 5, end: content.length, endLine: 5, text: '{"c":3}' },
    ];
    for (let size = 1; size <= content.length; size++) expect(split(content, size)).toEqual(expected);
  });

  it('resumes at an end offset with the same records as a full read', () => {
    const all = split(content, 4);
    const first = all[0] as SourceRecord;
    const resumed = split(content.subarray(first.end), 3, new LineSplitter({ offset: first.end, line: first.endLine }));
    expect(resumed).toEqual(all.slice(1));
  });

  it('reports a line over the size limit as broken without keeping it, and goes on', () => {
    const long = `{"x":"${'y'.repeat(100)}"}`;
    const input = Buffer.from(`{"a":1}\n${long}\n{"b":2}\n`);
    for (const size of [1, 7, 50, input.length]) {
      const records = split(input, size, new LineSplitter({ offset: 0, line: 0 }, 64));
      expect(records.map((record) => record.kind)).toEqual(['text', 'broken', 'text']);
      expect(records[1]).toMatchObject({ line: 2, end: 8 + long.length + 1, reason: expect.stringContaining('over the 64-byte limit') });
      expect((records[1] as { excerpt: string }).excerpt.startsWith('{"x":"yyy')).toBe(true);
      expect(records[2]).toMatchObject({ line: 3, text: '{"b":2}' });
    }
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const input = Buffer.from('{"name":"Zoë 🚀"}\n');
    for (let size = 1; size < input.length; size++) expect((split(input, size)[0] as { text: string }).text).toBe('{"name":"Zoë 🚀"}');
  });
});
