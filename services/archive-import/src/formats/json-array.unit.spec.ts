import { describe, expect, it } from 'vitest';
import { JsonArrayFormatError, JsonArraySplitter } from './json-array';
import type { SourceRecord } from './source-record';

function split(content: Buffer, size: number, splitter = new JsonArraySplitter()): SourceRecord[] {
  const records: SourceRecord[] = [];
  for (let at = 0; at < content.length; at += size) records.push(...splitter.push(content.subarray(at, at + size)));
  records.push(...splitter.end());
  return records;
}

const elements = [
  '{"type":"page","name":"a]b}c","nested":{"list":[1,2,{"x":"\\"}"}]}}',
  '{"type":"track",\n  "event":"Signed Up"\n}',
  '42',
  '"just text"',
  '{"weird":"\\\\"}',
  'null',
];
const content = Buffer.from(`\uFEFF [\n  ${elements.join(',\n  ')}\n]\n`);

describe('JsonArraySplitter', () => {
  it('cuts the elements out, whatever the chunk size, with the line each starts on', () => {
    for (let size = 1; size <= content.length; size += size < 20 ? 1 : 13) {
      const records = split(content, size);
      expect(records.map((record) => (record.kind === 'text' ? record.text : record.kind))).toEqual(elements);
      expect(records.map((record) => record.line)).toEqual([2, 3, 6, 7, 8, 9]);
      expect(records.map((record) => record.endLine)).toEqual([1, 4, 5, 6, 7, 8]);
      for (const record of records) if (record.kind === 'text') expect(() => JSON.parse(record.text) as unknown).not.toThrow();
    }
  });

  it('ends each record at the offset just after the element, so a resume continues with the next one', () => {
    const all = split(content, 5);
    all.forEach((record, index) => {
      if (record.kind !== 'text') throw new Error('expected text');
      expect(content.subarray(record.end - Buffer.byteLength(record.text), record.end).toString()).toBe(record.text);
      const resumed = split(
        content.subarray(record.end),
        7,
        new JsonArraySplitter({ offset: record.end, line: record.endLine, insideArray: true }),
      );
      expect(resumed.map((item) => item.end)).toEqual(all.slice(index + 1).map((item) => item.end));
      expect(resumed.map((item) => item.line)).toEqual(all.slice(index + 1).map((item) => item.line));
    });
  });

  it('handles an empty array and refuses what is not one array', () => {
    expect(split(Buffer.from('[]'), 1)).toEqual([]);
    expect(() => split(Buffer.from('{"a":1}'), 3)).toThrow(JsonArrayFormatError);
    expect(() => split(Buffer.from('[{"a":1}] [2]'), 3)).toThrow(/after the closing/);
    expect(() => split(Buffer.from('[{"a":1},\n{"b":'), 3)).toThrow(/not closed/);
  });

  it('reports an element over the size limit as broken and reads on', () => {
    const big = `{"x":"${'y'.repeat(200)}"}`;
    const input = Buffer.from(`[{"a":1},${big},{"b":2}]`);
    for (const size of [1, 16, input.length]) {
      const records = split(input, size, new JsonArraySplitter(undefined, 100));
      expect(records.map((record) => record.kind)).toEqual(['text', 'broken', 'text']);
      expect(records[1]).toMatchObject({ reason: expect.stringContaining('over the 100-byte limit'), end: 9 + big.length });
    }
  });
});
