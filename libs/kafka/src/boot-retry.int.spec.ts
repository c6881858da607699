import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freeBrokerPort } from '@touchstream/local-infra';
import { Logger } from '@touchstream/logging';
import { testKafkaSettings, testNamespace, waitFor } from '@touchstream/testing';
import { KafkaRuntime } from './runtime';

const run = promisify(execFile);
const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const spec = { name: 'boot.v1', partitions: 2, retentionMs: 3_600_000, cleanupPolicy: 'delete' as const };

function capturingLogger(lines: string[]): Logger {
  return new Logger({ service: 'boot-test', level: 'warn', sink: { write: (line) => void lines.push(line) } });
}

const retried = (lines: string[], what: string) =>
  lines.map((line) => JSON.parse(line) as { msg: string }).filter((line) => line.msg === `could not ${what} yet; retrying`);

describe('a service boot retries a broker that is not ready yet, up to its deadline', () => {
  const runtimes: KafkaRuntime[] = [];
  let ownPort: number | null = null;

  afterAll(async () => {
    for (const runtime of runtimes) await runtime.shutdown().catch(() => undefined);
    if (ownPort !== null) {
      await run('bash', [resolve(REPO_ROOT, 'scripts/kafka'), 'reset'], {
        cwd: REPO_ROOT,
        env: { ...process.env, KAFKA_PORT: String(ownPort) },
      });
    }
  });

  it('starts a consumer whose topic another service has not created yet ("This server does not host this topic-partition")', async () => {
    const namespace = testNamespace('boot-topic');
    const lines: string[] = [];
    const consumerSide = new KafkaRuntime(testKafkaSettings(namespace.topicPrefix), capturingLogger(lines));
    const producerSide = new KafkaRuntime(testKafkaSettings(namespace.topicPrefix), capturingLogger([]));
    runtimes.push(consumerSide, producerSide);
    await consumerSide.provision([], ['boot']);
    const received: number[] = [];
    const starting = consumerSide.startConsumer<number>({
      groupId: 'boot',
      topics: [consumerSide.topic(spec)],
      decode: (value) => Number(String(value)),
      handle: async (messages) => void received.push(...messages.map(({ value }) => value)),
      minFetchBytes: 1,
      maxFetchWaitMs: 50,
    });
    await waitFor(() => retried(lines, 'start consumer boot').length > 0, {
      description: 'a retry of the consumer start',
      timeoutMs: 60_000,
    });
    await producerSide.provision([spec]);
    await producerSide.connectProducer();
    await starting;
    await producerSide.producer.send(producerSide.topic(spec), [{ key: 'a', value: '7' }]);
    await waitFor(() => received.includes(7), { description: 'the message consumed' });
    await producerSide.deleteTopics([producerSide.topic(spec), producerSide.topic('boot.dead-letter.v1')]);
  }, 120_000);

  it('provisions its topics once a broker that comes up late answers', async () => {
    ownPort = await freeBrokerPort();
    const lines: string[] = [];
    const runtime = new KafkaRuntime(
      { brokers: [`127.0.0.1:${ownPort}`], clientId: 'boot-test', topicPrefix: 'late' },
      capturingLogger(lines),
    );
    runtimes.push(runtime);
    const provisioning = runtime.provision([spec]);
    // kafkajs gives up on its own after its retries; the boot goes on trying past that.
    await waitFor(() => retried(lines, 'provision topics').length > 0, { description: 'a retry of the provisioning', timeoutMs: 60_000 });

    await run('bash', [resolve(REPO_ROOT, 'scripts/kafka'), 'start'], {
      cwd: REPO_ROOT,
      env: { ...process.env, KAFKA_PORT: String(ownPort) },
    });
    await expect(provisioning).resolves.toEqual(['late.boot.v1']);
    expect((await runtime.topicIds(['late.boot.v1'])).has('late.boot.v1')).toBe(true);
    // kafkajs's own retries (about 20 s) and a broker start (20-30 s on a busy 2-core host).
  }, 180_000);
});
