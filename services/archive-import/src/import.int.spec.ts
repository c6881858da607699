import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rawEventKey,
  rawEventSchema,
  rejectedEventSchema,
  TOPICS,
  toRawEvent,
  TRACE_HEADERS,
  validateSegmentEvent,
  type RawEvent,
  type RejectedEvent,
  type SegmentEvent,
} from '@touchstream/contracts';
import { KafkaRuntime } from '@touchstream/kafka';
import { generateArchive } from '@touchstream/synthetic-data';
import { testInfrastructure, testKafkaSettings, testLogger, testNamespace, waitFor } from '@touchstream/testing';
import { runGenerateCommand } from './cli/generate-command';
import { runImportCommand } from './cli/import-command';
import type { RunSummary } from './summary';
import { capturedIo } from './testing/captured-io';

interface Run {
  code: number;
  summary: RunSummary;
  stderr: string;
}

/** Runs the CLI in-process with the test broker and its own topic prefix, summary as JSON. */
async function runImport(prefix: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const io = capturedIo();
  const code = await runImportCommand([...args, '--json', '--progress', 'none'], {
    stdout: io.stdout,
    stderr: io.stderr,
    env: { KAFKA_BROKERS: testInfrastructure().kafkaBrokers, KAFKA_TOPIC_PREFIX: prefix, ...env },
  });
  const summary = io.text().trim() ? (JSON.parse(io.text()) as RunSummary) : (undefined as unknown as RunSummary);
  return { code, summary, stderr: io.errors() };
}

/** Reads a prefixed topic from the beginning until `count` messages arrived. */
async function readTopic<T>(prefix: string, topic: string, count: number) {
  const runtime = new KafkaRuntime(testKafkaSettings(prefix), testLogger());
  const reader = runtime.reader(runtime.topic(topic));
  await reader.start();
  try {
    await waitFor(() => reader.received().length >= count, { timeoutMs: 30_000, description: `${count} messages on ${topic}` });
    return reader.received().map((message) => ({ ...message, envelope: JSON.parse(message.value?.toString() ?? 'null') as T }));
  } finally {
    await reader.stop();
  }
}

/** What the raw topic must hold for an archive event: the same normalisation ingest applies. */
function expectedRaw(event: SegmentEvent) {
  const validation = validateSegmentEvent(JSON.parse(JSON.stringify(event)));
  if (!validation.ok) throw new Error(validation.reason);
  return toRawEvent(validation.event, { source: 'import', receivedAt: new Date() });
}

describe('archive import into the real broker', () => {
  let dir: string;
  let events: SegmentEvent[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'touchstream-import-'));
    events = [...generateArchive({ users: 25, days: 5, seed: 'import-int' }).events({ kind: 'shuffled', window: 50 })];
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function importAndCompare(label: string, file: string) {
    const { topicPrefix } = testNamespace(label);
    const run = await runImport(topicPrefix, [file, '--checkpoint-dir', join(dir, `${label}-checkpoints`)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.summary.totals).toMatchObject({ records: events.length, imported: events.length, rejected: 0 });
    const messages = await readTopic<RawEvent>(topicPrefix, TOPICS.rawEvents.name, events.length);
    expect(messages).toHaveLength(events.length);
    const byId = new Map(messages.map((message) => [message.envelope.data.event.messageId, message]));
    for (const event of events) {
      const expected = expectedRaw(event);
      const message = byId.get(event.messageId as string);
      if (!message) throw new Error(`lost ${event.messageId}`);
      expect(rawEventSchema.parse(message.envelope)).toMatchObject({
        id: expected.id,
        source: 'import',
        occurredAt: expected.occurredAt,
        type: expected.type,
      });
      expect(message.envelope.data.event).toEqual(expected.data.event);
      expect(message.key).toBe(rawEventKey(expected.data.event));
      expect(message.headers[TRACE_HEADERS.eventId]).toBe(expected.id);
    }
    return run;
  }

  it('imports plain NDJSON with each event intact: original timestamp and messageId, source import, keyed by anonymousId', async () => {
    const file = join(dir, 'plain.ndjson');
    await writeFile(file, `${events.map((event) => JSON.stringify(event)).join('\n')}\n`);
    const run = await importAndCompare('import-ndjson', file);
    expect(run.summary.files[0]).toMatchObject({ format: 'ndjson', compression: 'none', status: 'imported' });
  });

  it('imports gzipped NDJSON recognised by its magic bytes, whatever its name', async () => {
    const file = join(dir, '1706745600000.segment-logs.log');
    await writeFile(file, gzipSync(events.map((event) => JSON.stringify(event)).join('\n')));
    const run = await importAndCompare('import-gzip', file);
    expect(run.summary.files[0]).toMatchObject({ format: 'ndjson', compression: 'gzip' });
  });

  it('imports a pretty-printed JSON array', async () => {
    const file = join(dir, 'export.json');
    await writeFile(file, JSON.stringify(events, null, 2));
    const run = await importAndCompare('import-array', file);
    expect(run.summary.files[0]).toMatchObject({ format: 'json-array' });
  });

  it('imports a warehouse export (pages, identifies and tracks CSV) found in nested folders', async () => {
    const { topicPrefix } = testNamespace('import-csv');
    const root = join(dir, 'warehouse');
    const quiet = { stdout: new PassThrough(), stderr: new PassThrough() as unknown as NodeJS.WriteStream };
    await mkdir(join(root, 'nested'), { recursive: true });
    expect(
      await runGenerateCommand(
        ['--users', '25', '--days', '5', '--seed', 'import-int', '--format', 'csv', '--out', join(root, 'nested', 'export')],
        quiet,
      ),
    ).toBe(0);
    const run = await runImport(topicPrefix, [root, '--no-checkpoint']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.summary.files.map((file) => [file.file.replace(`${root}/`, ''), file.format, file.imported > 0])).toEqual([
      ['nested/export/identifies.csv', 'csv', true],
      ['nested/export/pages.csv', 'csv', true],
      ['nested/export/tracks.csv', 'csv', true],
    ]);
    const messages = await readTopic<RawEvent>(topicPrefix, TOPICS.rawEvents.name, events.length);
    expect(messages).toHaveLength(events.length);
    const byId = new Map(messages.map((message) => [message.envelope.data.event.messageId, message.envelope]));
    for (const event of events) {
      const imported = byId.get(event.messageId as string);
      if (!imported) throw new Error(`lost ${event.messageId}`);
      const expected = expectedRaw(event);
      expect(imported.id).toBe(expected.id);
      expect(imported.occurredAt).toBe(expected.occurredAt);
      expect(imported.data.event).toMatchObject({
        type: event.type,
        anonymousId: event.anonymousId,
        receivedAt: expected.data.event.receivedAt,
      });
      expect(imported.data.event.context?.campaign).toEqual(event.context?.campaign);
      expect(imported.data.event.context?.page?.url).toBe(event.context?.page?.url);
    }
  });

  it('writes the same messageIds and envelope ids when the same file is imported again (consumers dedupe by id)', async () => {
    const { topicPrefix } = testNamespace('import-again');
    const file = join(dir, 'again.ndjson.gz');
    await writeFile(file, gzipSync(events.map((event) => JSON.stringify(event)).join('\n')));
    const checkpoints = join(dir, 'again-checkpoints');
    const first = await runImport(topicPrefix, [file, '--checkpoint-dir', checkpoints]);
    expect(first.code).toBe(0);
    const afterFirst = await readTopic<RawEvent>(topicPrefix, TOPICS.rawEvents.name, events.length);
    expect(afterFirst).toHaveLength(events.length);
    // Without --restart a finished file is skipped: nothing is sent at all.
    const skipped = await runImport(topicPrefix, [file, '--checkpoint-dir', checkpoints]);
    expect(skipped.summary.files[0]).toMatchObject({ status: 'skipped', records: 0 });
    const second = await runImport(topicPrefix, [file, '--checkpoint-dir', checkpoints, '--restart']);
    expect(second.summary.totals.imported).toBe(events.length);

    const all = await readTopic<RawEvent>(topicPrefix, TOPICS.rawEvents.name, 2 * events.length);
    expect(all).toHaveLength(2 * events.length);
    const firstOffsets = new Set(afterFirst.map((message) => `${message.partition}:${message.offset}`));
    const secondRun = all.filter((message) => !firstOffsets.has(`${message.partition}:${message.offset}`));
    const ids = (messages: typeof all) =>
      messages.map((message) => `${message.envelope.data.event.messageId} ${message.envelope.id} ${message.key}`).sort();
    expect(secondRun).toHaveLength(events.length);
    expect(ids(secondRun)).toEqual(ids(afterFirst));
    expect(new Set(ids(secondRun)).size).toBe(events.length);
  });

  it('sends malformed lines to the rejected topic with file, line and reason, and reports them at the end', async () => {
    const { topicPrefix } = testNamespace('import-rejects');
    const file = join(dir, 'dirty.ndjson');
    const good = events.slice(0, 5).map((event) => JSON.stringify(event));
    const lines = [
      good[0],
      '{"type":"page","anonymousId":"a1",',
      good[1],
      JSON.stringify({ type: 'page', messageId: 'no-ids' }),
      '',
      good[2],
      'plain text',
      good[3],
      JSON.stringify({ type: 'fly', userId: 'u' }),
      good[4],
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const run = await runImport(topicPrefix, [file, '--no-checkpoint']);
    expect(run.code).toBe(0);
    expect(run.summary.totals).toMatchObject({ records: 9, imported: 5, rejected: 4 });
    expect(run.summary.rejections.map((note) => [note.file, note.line])).toEqual([
      [file, 2],
      [file, 4],
      [file, 7],
      [file, 9],
    ]);
    const rejected = await readTopic<RejectedEvent>(topicPrefix, TOPICS.rejectedEvents.name, 4);
    const envelopes = rejected
      .map((message) => rejectedEventSchema.parse(message.envelope))
      .sort((a, b) => (a.data.origin.line ?? 0) - (b.data.origin.line ?? 0));
    expect(envelopes.map((envelope) => [envelope.data.origin.channel, envelope.data.origin.line, envelope.source])).toEqual([
      [file, 2, 'import'],
      [file, 4, 'import'],
      [file, 7, 'import'],
      [file, 9, 'import'],
    ]);
    expect(envelopes[0]?.data.reason).toMatch(/^not valid JSON/);
    expect(envelopes[1]?.data).toMatchObject({ messageId: 'no-ids', reason: expect.stringMatching(/userId or anonymousId is required/) });
    expect(envelopes[2]?.data.payload).toBe('plain text');
    expect(envelopes[3]?.data.reason).toMatch(/type must be one of/);
    expect(rejected.find((message) => message.envelope.data.messageId === 'no-ids')?.key).toBe('no-ids');

    const strict = await runImport(testNamespace('import-strict').topicPrefix, [file, '--no-checkpoint', '--fail-on-rejected']);
    expect(strict.code).toBe(1);
  });

  it('imports only events within --since/--until', async () => {
    const { topicPrefix } = testNamespace('import-window');
    const file = join(dir, 'window.ndjson');
    await writeFile(file, events.map((event) => JSON.stringify(event)).join('\n'));
    const since = '2024-01-03';
    const until = '2024-01-05T00:00:00Z';
    const inside = events.filter(
      (event) =>
        Date.parse(event.timestamp as string) >= Date.parse(`${since}T00:00:00Z`) &&
        Date.parse(event.timestamp as string) < Date.parse(until),
    );
    expect(inside.length).toBeGreaterThan(0);
    expect(inside.length).toBeLessThan(events.length);
    const run = await runImport(topicPrefix, [file, '--no-checkpoint', '--since', since, '--until', until]);
    expect(run.summary.totals).toMatchObject({ imported: inside.length, filtered: events.length - inside.length, rejected: 0 });
    const messages = await readTopic<RawEvent>(topicPrefix, TOPICS.rawEvents.name, inside.length);
    expect(messages.map((message) => message.envelope.data.event.messageId).sort()).toEqual(inside.map((event) => event.messageId).sort());
  });

  it('validates and counts in --dry-run without touching Kafka or checkpoints', async () => {
    const file = join(dir, 'dry.ndjson');
    await writeFile(file, `${events.map((event) => JSON.stringify(event)).join('\n')}\n{"broken"\n`);
    // A broker address nobody listens on: a dry run must not need one.
    const run = await runImport('unused', [file, '--dry-run'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(run.code).toBe(0);
    expect(run.summary).toMatchObject({
      dryRun: true,
      topics: null,
      totals: { records: events.length + 1, imported: events.length, rejected: 1 },
    });
    await expect(readFile(`${file}.touchstream-checkpoint.json`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stops before sending anything when checkpoints cannot be written', async () => {
    const file = join(dir, 'no-checkpoint.ndjson');
    await writeFile(file, events.map((event) => JSON.stringify(event)).join('\n'));
    const run = await runImport(testNamespace('import-nocheckpoint').topicPrefix, [file, '--checkpoint-dir', join(file, 'not-a-folder')]);
    expect(run.code).toBe(3);
    expect(run.summary).toMatchObject({ outcome: 'checkpoint-error', totals: { records: 0, imported: 0 } });
    expect(run.summary.files[0]?.message).toMatch(/cannot use the checkpoint .*not a directory.*--checkpoint-dir or --no-checkpoint/);
  });

  it('fails fast with clear errors for a bad environment, a missing path and an unreachable broker', async () => {
    const file = join(dir, 'fail-fast.ndjson');
    await writeFile(file, events.map((event) => JSON.stringify(event)).join('\n'));
    const badEnv = await runImport('x', [file], { KAFKA_BROKERS: 'not-a-broker' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/KAFKA_BROKERS entry "not-a-broker" is not host:port/);
    const missing = await runImport('x', [join(dir, 'nope.ndjson')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file or folder/);
    const unreachable = await runImport('x', [file, '--no-checkpoint'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).toMatch(/no Kafka broker answers at 127.0.0.1:1/);
  });
});
