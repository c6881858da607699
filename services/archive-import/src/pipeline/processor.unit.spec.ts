import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../formats/source-record';
import { processRecords, type ProcessContext } from './process-records';
import { InlineProcessor, packValues, unpackValues, WorkerPoolProcessor } from './processor';

const context: ProcessContext = { channel: 'file', now: new Date('2026-01-01T00:00:00Z'), window: {} };
const record = (line: number, anonymousId: string): SourceRecord => ({
  kind: 'text',
  line,
  end: line * 10,
  endLine: line,
  text: JSON.stringify({
    type: 'page',
    messageId: `m-${line}`,
    anonymousId,
    timestamp: '2024-01-01T00:00:00Z',
    properties: { title: 'Zoë 🚀' },
  }),
});

describe('packed values', () => {
  it('round-trip the accepted messages byte for byte', () => {
    const records = [record(1, 'a'), record(2, 'b'), { kind: 'text', line: 3, end: 30, endLine: 3, text: '{bad' } as SourceRecord];
    const expected = processRecords(records, context);
    const strings = expected.accepted.map((message) => String(message.value));
    const unpacked = unpackValues(packValues(processRecords(records, context)));
    expect(unpacked.accepted.map((message) => Buffer.isBuffer(message.value) && message.value.toString('utf8'))).toEqual(strings);
    expect(unpacked.accepted.map((message) => message.headers)).toEqual(expected.accepted.map((message) => message.headers));
    expect(unpacked.rejected).toEqual(expected.rejected);
  });

  it('inline processing gives the same result as processRecords', async () => {
    const records = [record(1, 'a')];
    expect(await new InlineProcessor().process(records, context)).toEqual(processRecords(records, context));
  });
});

describe('WorkerPoolProcessor', () => {
  let dir: string;
  let script: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'touchstream-pool-'));
    script = join(dir, 'echo-worker.js');
    // A stand-in worker: answers in a random order (variable delay) and dies on request.
    await writeFile(
      script,
      `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (request) => {
  if (request.records[0].text === 'die') process.exit(3);
  const value = Buffer.from('value-' + request.id);
  const values = new Uint8Array(value);
  const result = { accepted: [{ key: request.records[0].text, value: '' }], rejected: [], rejections: [], filtered: 0, records: request.records.length, end: 0, endLine: 0 };
  setTimeout(() => parentPort.postMessage({ id: request.id, ok: true, packed: { result, values, offsets: Uint32Array.from([0, values.length]) } }, [values.buffer]), (request.id * 7) % 20);
});`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives every caller its own job's result, however the workers finish", async () => {
    const pool = new WorkerPoolProcessor(script, 3);
    try {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => pool.process([{ kind: 'text', line: i, end: i, endLine: i, text: `job-${i}` }], context)),
      );
      expect(results.map((result) => result.accepted[0]?.key)).toEqual(Array.from({ length: 30 }, (_, i) => `job-${i}`));
      expect(results.map((result) => String(result.accepted[0]?.value))).toEqual(Array.from({ length: 30 }, (_, i) => `value-${i}`));
    } finally {
      await pool.close();
    }
  });

  it('fails the jobs of a worker that dies instead of waiting forever', async () => {
    const pool = new WorkerPoolProcessor(script, 1);
    try {
      await expect(pool.process([{ kind: 'text', line: 1, end: 1, endLine: 1, text: 'die' }], context)).rejects.toThrow(
        /exited with code 3/,
      );
    } finally {
      await pool.close();
    }
    await expect(pool.process([record(1, 'a')], context)).rejects.toThrow(/closed/);
  });
});
