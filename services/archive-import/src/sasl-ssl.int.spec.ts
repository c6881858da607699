import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, type RawEvent, type SegmentEvent } from '@touchstream/contracts';
import { KafkaRuntime } from '@touchstream/kafka';
import { generateArchive } from '@touchstream/synthetic-data';
import {
  saslSslBroker,
  saslSslEnv,
  saslSslKafkaSettings,
  testLogger,
  testNamespace,
  waitFor,
  type SaslSslBroker,
} from '@touchstream/testing';
import { runImportCommand } from './cli/import-command';
import type { RunSummary } from './summary';
import { capturedIo } from './testing/captured-io';

// The package's declared bin, as npm links it (it runs the built dist/, which `npm test` builds first).
const IMPORT_BIN = resolve(__dirname, '..', '..', '..', 'node_modules', '.bin', 'touchstream-import');

/** Runs the CLI in-process with only the given environment (no test broker defaults), summary as JSON. */
async function runImport(args: string[], env: Record<string, string>) {
  const io = capturedIo();
  const code = await runImportCommand([...args, '--json', '--progress', 'none', '--no-checkpoint'], {
    stdout: io.stdout,
    stderr: io.stderr,
    env,
  });
  return { code, summary: io.text().trim() ? (JSON.parse(io.text()) as RunSummary) : undefined, stderr: io.errors() };
}

/** The built bin as a user runs it: its exit code and what it printed on stderr. */
function runBin(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(IMPORT_BIN, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stderr }));
  });
}

describe('archive import into a broker that only lets clients in over SASL_SSL', () => {
  let broker: SaslSslBroker;
  let dir: string;
  let archive: string;
  let events: SegmentEvent[];

  beforeAll(async () => {
    broker = await saslSslBroker();
    dir = await mkdtemp(join(tmpdir(), 'touchstream-import-saslssl-'));
    events = [...generateArchive({ users: 10, days: 2, seed: 'import-saslssl' }).events({ kind: 'shuffled', window: 20 })];
    archive = join(dir, 'archive.ndjson');
    await writeFile(archive, `${events.map((event) => JSON.stringify(event)).join('\n')}\n`);
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await broker?.stop();
  });

  it("imports with the services' TLS and SASL settings (CA and password from files)", { timeout: 90_000 }, async () => {
    const { topicPrefix } = testNamespace('import-saslssl');
    const run = await runImport([archive], { ...saslSslEnv(broker, 'scram-sha-512'), KAFKA_TOPIC_PREFIX: topicPrefix });
    expect(run.code, run.stderr).toBe(0);
    expect(run.summary?.totals).toMatchObject({ records: events.length, imported: events.length, rejected: 0 });

    const runtime = new KafkaRuntime(saslSslKafkaSettings(broker, 'scram-sha-512', topicPrefix), testLogger());
    const reader = runtime.reader(runtime.topic(TOPICS.rawEvents));
    await reader.start();
    try {
      await waitFor(() => reader.received().length >= events.length, {
        timeoutMs: 45_000,
        description: `${events.length} messages on the raw topic over SASL_SSL`,
      });
      const ids = reader.received().map((message) => (JSON.parse(message.value?.toString() ?? 'null') as RawEvent).data.event.messageId);
      expect(new Set(ids)).toEqual(new Set(events.map((event) => event.messageId)));
    } finally {
      await reader.stop();
    }
  });

  it('stops before importing, in one line naming the setting, when the broker refuses the password', { timeout: 60_000 }, async () => {
    const { topicPrefix } = testNamespace('import-badlogin');
    const env: Record<string, string> = { ...saslSslEnv(broker, 'scram-sha-512'), KAFKA_TOPIC_PREFIX: topicPrefix };
    delete env.KAFKA_SASL_PASSWORD_FILE;
    const wrong = { ...env, KAFKA_SASL_PASSWORD: 'not-the-password' };

    const run = await runImport([archive], wrong);
    expect(run.code).toBe(2);
    expect(run.summary).toBeUndefined();
    expect(run.stderr).toMatch(
      /^error: cannot use Kafka at .*: Kafka refused the SASL login \(scram-sha-512 as user ".+"\): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toContain('not-the-password');

    // The process as a user starts it: the same line, no stack, exit code 2.
    const bin = await runBin([archive, '--progress', 'none', '--no-checkpoint'], wrong);
    expect(bin.code).toBe(2);
    expect(bin.stderr.trim().split('\n')).toEqual([run.stderr.trim()]);
  });

  it("says so in one line when the broker's certificate is not trusted (no KAFKA_SSL_CA)", { timeout: 60_000 }, async () => {
    const { topicPrefix } = testNamespace('import-untrusted');
    const env: Record<string, string> = { ...saslSslEnv(broker, 'scram-sha-512'), KAFKA_TOPIC_PREFIX: topicPrefix };
    delete env.KAFKA_SSL_CA_FILE;
    const run = await runImport([archive], env);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/TLS certificate is not trusted by the system's trust store .*check KAFKA_SSL_CA/);
  });
});
