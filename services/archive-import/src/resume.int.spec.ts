import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, type RawEvent } from '@touchstream/contracts';
import { KafkaRuntime } from '@touchstream/kafka';
import { testInfrastructure, testKafkaSettings, testLogger, testNamespace, waitFor } from '@touchstream/testing';
import type { Checkpoint } from './checkpoint/checkpoint';
import type { RunSummary } from './summary';

/** services/archive-import/src -> the repository root. */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const CLI = resolve(REPO_ROOT, 'services/archive-import/dist/import.cli.js');
const GENERATE = resolve(REPO_ROOT, 'services/archive-import/dist/generate.cli.js');
const BATCH = 500;

interface Child {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
  output: () => string;
}

function start(script: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    exited: new Promise((done) => child.once('exit', (code, signal) => done({ code, signal }))),
    kill: (signal) => child.kill(signal),
    output: () => output,
  };
}

async function readCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.touchstream-checkpoint.json'));
  if (names.length === 0) return undefined;
  return JSON.parse(await readFile(join(dir, names[0] as string), 'utf8')) as Checkpoint;
}

describe('an import stopped half-way and resumed', () => {
  let dir: string;
  let archive: string;
  let total: number;

  beforeAll(async () => {
    for (const script of [CLI, GENERATE]) if (!existsSync(script)) throw new Error(`${script} is missing: run "npm run build" first`);
    dir = await mkdtemp(join(tmpdir(), 'touchstream-resume-'));
    archive = join(dir, 'archive.ndjson.gz');
    const generator = start(GENERATE, ['--users', '6000', '--days', '30', '--seed', 'resume', '--out', archive], {});
    expect((await generator.exited).code, generator.output()).toBe(0);
    total = Number(/wrote ([\d,]+) events/.exec(generator.output())?.[1]?.replace(/,/g, ''));
    expect(total).toBeGreaterThan(40_000);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('killed with SIGKILL, ends with every record present: none lost, at most one batch sent twice, with the same ids', async () => {
    const { topicPrefix } = testNamespace('import-kill');
    const env = { KAFKA_BROKERS: testInfrastructure().kafkaBrokers, KAFKA_TOPIC_PREFIX: topicPrefix };
    const checkpoints = join(dir, 'kill-checkpoints');
    const args = [archive, '--checkpoint-dir', checkpoints, '--batch-size', String(BATCH), '--progress', 'none', '--json'];

    const first = start(CLI, args, env);
    // Kill for real (no chance to flush anything) once the checkpoint shows progress.
    await waitFor(async () => ((await readCheckpoint(checkpoints))?.records ?? 0) >= 4 * BATCH, {
      intervalMs: 10,
      timeoutMs: 45_000,
      description: 'checkpoint progress',
    });
    first.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const atKill = (await readCheckpoint(checkpoints)) as Checkpoint;
    expect(atKill.complete).toBe(false);
    expect(atKill.records).toBeLessThan(total);
    expect(atKill.records % BATCH).toBe(0);

    const second = start(CLI, args, env);
    const exit = await second.exited;
    expect(exit.code, second.output()).toBe(0);
    const summary = JSON.parse(second.output().trim().split('\n').pop() as string) as RunSummary;
    expect(summary.files[0]).toMatchObject({
      status: 'resumed',
      resumedFrom: { records: atKill.records, line: atKill.line, offset: atKill.offset },
      records: total - atKill.records,
      checkpoint: { records: total, complete: true },
    });

    const runtime = new KafkaRuntime(testKafkaSettings(topicPrefix), testLogger());
    const reader = runtime.reader(runtime.topic(TOPICS.rawEvents));
    await reader.start();
    try {
      await waitFor(() => reader.received().length >= total, { timeoutMs: 45_000, description: `${total} raw events` });
      const envelopes = reader.json<RawEvent>();
      const seen = new Map<string, Set<string>>();
      for (const envelope of envelopes) {
        const ids = seen.get(envelope.data.event.messageId) ?? new Set<string>();
        ids.add(envelope.id);
        seen.set(envelope.data.event.messageId, ids);
      }
      expect(seen.size).toBe(total); // no lost write
      const duplicates = envelopes.length - total;
      expect(duplicates).toBeGreaterThanOrEqual(0);
      expect(duplicates).toBeLessThanOrEqual(BATCH); // at most the one batch in flight at the kill
      for (const ids of seen.values()) expect(ids.size).toBe(1); // a re-sent record keeps its envelope id
    } finally {
      await reader.stop();
    }
  }, 150_000);

  it('interrupted with SIGTERM, finishes the batch in flight, checkpoints it, exits 130 and resumes with no duplicate', async () => {
    const { topicPrefix } = testNamespace('import-term');
    const env = { KAFKA_BROKERS: testInfrastructure().kafkaBrokers, KAFKA_TOPIC_PREFIX: topicPrefix };
    const checkpoints = join(dir, 'term-checkpoints');
    const args = [archive, '--checkpoint-dir', checkpoints, '--batch-size', String(BATCH), '--progress', 'none', '--json'];

    const first = start(CLI, args, env);
    await waitFor(async () => ((await readCheckpoint(checkpoints))?.records ?? 0) >= 4 * BATCH, {
      intervalMs: 10,
      timeoutMs: 45_000,
      description: 'checkpoint progress',
    });
    first.kill('SIGTERM');
    const exit = await first.exited;
    expect(exit.code, first.output()).toBe(130);
    const stopped = JSON.parse(first.output().trim().split('\n').pop() as string) as RunSummary;
    const atStop = (await readCheckpoint(checkpoints)) as Checkpoint;
    expect(stopped).toMatchObject({
      outcome: 'interrupted',
      files: [{ status: 'interrupted', checkpoint: { records: atStop.records, complete: false } }],
    });
    expect(stopped.totals.imported).toBe(atStop.records);

    const second = start(CLI, args, env);
    expect((await second.exited).code, second.output()).toBe(0);
    const runtime = new KafkaRuntime(testKafkaSettings(topicPrefix), testLogger());
    const reader = runtime.reader(runtime.topic(TOPICS.rawEvents));
    await reader.start();
    try {
      await waitFor(() => reader.received().length >= total, { timeoutMs: 45_000, description: `${total} raw events` });
      const ids = reader.json<RawEvent>().map((envelope) => envelope.data.event.messageId);
      // A graceful stop checkpoints everything it sent: nothing lost, nothing sent twice.
      expect(new Set(ids).size).toBe(total);
      expect(ids).toHaveLength(total);
    } finally {
      await reader.stop();
    }
  }, 150_000);
});
