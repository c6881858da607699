import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { deadLetterTopic } from '@touchstream/contracts';
import { createDataSource, migrate } from '@touchstream/database';
import { KafkaRuntime, type BatchConsumer, type KafkaSettings } from '@touchstream/kafka';
import { freeBrokerPort } from '@touchstream/local-infra';
import { Logger } from '@touchstream/logging';
import { dropSchema, testInfrastructure, testKafkaSettings, testNamespace, waitFor } from '@touchstream/testing';
import { countPositionResets } from './kafka.module';
import { MetricsRegistry } from './metrics';
import { ConsumerPositionTopicIds1770100000000, PlatformTables1764370000000, applyOncePerOffset } from '@touchstream/eventing';

const run = promisify(execFile);
const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const GROUP = 'incarnation-test';
const topicSpec = { name: 'incarnation.v1', partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' as const };

/**
 * One service's consumer over its own schema, as identity and attribution consume: every batch
 * goes through applyOncePerOffset, and its effect records the values it applied.
 */
class Pipeline {
  readonly lines: string[] = [];
  readonly metrics = new MetricsRegistry();
  readonly runtime: KafkaRuntime;
  private consumer: BatchConsumer<number> | null = null;

  constructor(
    settings: KafkaSettings,
    private readonly dataSource: DataSource,
    private readonly schema: string,
  ) {
    const logger = new Logger({ service: 'incarnation-test', level: 'warn', sink: { write: (line) => void this.lines.push(line) } });
    this.runtime = new KafkaRuntime(settings, logger);
    countPositionResets(this.runtime, this.metrics);
  }

  get topic(): string {
    return this.runtime.topic(topicSpec);
  }

  async boot(): Promise<void> {
    await this.runtime.provision([topicSpec], [GROUP]);
    await this.runtime.connectProducer();
  }

  send(values: number[]): Promise<void> {
    return this.runtime.producer.send(
      this.topic,
      values.map((value) => ({ key: null, value: JSON.stringify(value) })),
    );
  }

  async startConsumer(): Promise<void> {
    this.consumer = await this.runtime.startConsumer<number>({
      groupId: GROUP,
      topics: [this.topic],
      decode: (value) => JSON.parse(String(value)) as number,
      minFetchBytes: 1,
      maxFetchWaitMs: 50,
      handle: async (messages) => {
        await applyOncePerOffset(this.dataSource.manager, this.schema, GROUP, messages, async (fresh, transaction) => {
          await transaction.query(`INSERT INTO "${this.schema}".applied (value) SELECT unnest($1::int[])`, [
            fresh.map(({ value }) => value),
          ]);
        });
      },
    });
  }

  async stopConsumer(): Promise<void> {
    if (this.consumer) await this.runtime.stopConsumer(this.consumer as BatchConsumer<unknown>);
    this.consumer = null;
  }

  async applied(): Promise<number[]> {
    const rows: Array<{ value: number }> = await this.dataSource.query(`SELECT value FROM "${this.schema}".applied ORDER BY id`);
    return rows.map(({ value }) => value);
  }

  /** Waits until exactly these values were applied, in this order. */
  appliedToBe(values: number[]): Promise<number[]> {
    return waitFor(
      async () => {
        const applied = await this.applied();
        return JSON.stringify(applied) === JSON.stringify(values) && applied;
      },
      { description: `applied values ${JSON.stringify(values)}`, timeoutMs: 45_000 },
    );
  }

  async resets(reason: string): Promise<number> {
    const metric = await this.metrics.registry.getSingleMetric('touchstream_consumer_position_resets_total')?.get();
    return (
      metric?.values
        .filter((entry) => entry.labels.reason === reason && entry.labels.topic === this.topic)
        .reduce((sum, entry) => sum + entry.value, 0) ?? 0
    );
  }

  async storedTopicId(): Promise<string | null> {
    const rows: Array<{ topic_id: string | null }> = await this.dataSource.query(
      `SELECT topic_id FROM "${this.schema}".consumer_positions WHERE consumer_group = $1 AND topic = $2`,
      [GROUP, this.topic],
    );
    return rows[0]?.topic_id ?? null;
  }

  loggedResets(reason: string): Array<Record<string, unknown>> {
    return this.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter(
        (line) =>
          line.level === 'error' &&
          String(line.msg).startsWith('stored consumer position belongs to an earlier incarnation') &&
          line.reason === reason,
      );
  }

  async close(): Promise<void> {
    await this.stopConsumer();
    await this.runtime.shutdown();
  }
}

async function schemaWithPositions(label: string): Promise<{ dataSource: DataSource; schema: string }> {
  const { schema } = testNamespace(label);
  const dataSource = createDataSource({ url: testInfrastructure().databaseUrl, schema, poolSize: 2 }, [
    PlatformTables1764370000000,
    ConsumerPositionTopicIds1770100000000,
  ]);
  await dataSource.initialize();
  await migrate(dataSource);
  await dataSource.query(`CREATE TABLE "${schema}".applied (id bigserial PRIMARY KEY, value integer NOT NULL)`);
  return { dataSource, schema };
}

describe('stored consumer positions and a topic created anew (shared broker)', () => {
  const namespace = testNamespace('incarnation');
  let dataSource: DataSource;
  let schema: string;
  let pipeline: Pipeline;

  beforeAll(async () => {
    ({ dataSource, schema } = await schemaWithPositions('incarnation'));
    pipeline = new Pipeline(testKafkaSettings(namespace.topicPrefix), dataSource, schema);
    await pipeline.boot();
  });

  afterAll(async () => {
    await pipeline.close();
    await pipeline.runtime.deleteTopics([pipeline.topic, pipeline.runtime.topic(deadLetterTopic(GROUP))]).catch(() => undefined);
    await dataSource.destroy();
    await dropSchema(testInfrastructure().databaseUrl, schema);
  });

  it('applies the new topic from its start instead of skipping it below the old positions, says so and counts it', async () => {
    await pipeline.send([1, 2, 3, 4, 5]);
    await pipeline.startConsumer();
    await pipeline.appliedToBe([1, 2, 3, 4, 5]);
    const before = await pipeline.storedTopicId();
    expect(before).toBe((await pipeline.runtime.topicIds([pipeline.topic])).get(pipeline.topic));
    await pipeline.stopConsumer();

    await pipeline.runtime.deleteTopics([pipeline.topic]);
    await waitFor(async () => !(await pipeline.runtime.topicIds([pipeline.topic])).has(pipeline.topic), {
      description: 'the topic deleted',
    });
    await pipeline.runtime.provision([topicSpec]);
    const after = await waitFor(async () => (await pipeline.runtime.topicIds([pipeline.topic])).get(pipeline.topic), {
      description: 'the topic created anew',
    });
    expect(after).not.toBe(before);
    // Offsets 0 and 1 again, below the stored position 5: before, both were skipped as "already applied".
    await pipeline.send([6, 7]);
    await pipeline.startConsumer();

    await pipeline.appliedToBe([1, 2, 3, 4, 5, 6, 7]);
    expect(await pipeline.resets('topic-id-changed')).toBe(1);
    expect(pipeline.loggedResets('topic-id-changed')).toEqual([
      expect.objectContaining({
        topic: pipeline.topic,
        partition: 0,
        storedNextOffset: '5',
        storedTopicId: before,
        topicId: after,
        reappliedFrom: '0',
      }),
    ]);
    expect(await pipeline.storedTopicId()).toBe(after);

    // The position now belongs to the new topic: later messages are applied once, nothing is reset again.
    await pipeline.send([8]);
    await pipeline.appliedToBe([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await pipeline.resets('topic-id-changed')).toBe(1);
    await pipeline.stopConsumer();
  });
});

describe('scripts/kafka keeps the broker data across stop and start; reset wipes it (own broker)', () => {
  let port: number;
  let dataSource: DataSource;
  let schema: string;
  let pipeline: Pipeline | null = null;
  const kafka = async (command: 'start' | 'stop' | 'reset') =>
    (
      await run('bash', [resolve(REPO_ROOT, 'scripts/kafka'), command], {
        cwd: REPO_ROOT,
        env: { ...process.env, KAFKA_PORT: String(port) },
      })
    ).stdout;
  const connect = async () => {
    pipeline = new Pipeline({ brokers: [`127.0.0.1:${port}`], clientId: 'incarnation-test', topicPrefix: 'own' }, dataSource, schema);
    await pipeline.boot();
    return pipeline;
  };
  const disconnect = async () => {
    await pipeline?.stopConsumer();
    await pipeline?.close();
    pipeline = null;
  };

  beforeAll(async () => {
    port = process.env.OWN_KAFKA_PORT ? Number(process.env.OWN_KAFKA_PORT) : await freeBrokerPort();
    await kafka('reset'); // whatever an earlier run left on this port
    await kafka('start');
    ({ dataSource, schema } = await schemaWithPositions('incarnation-own'));
  });

  afterAll(async () => {
    await disconnect().catch(() => undefined);
    await kafka('reset');
    await dataSource?.destroy();
    if (schema) await dropSchema(testInfrastructure().databaseUrl, schema);
  });

  it('keeps topics, messages and offsets across a stop and start; after a reset the new messages are applied, not skipped', async () => {
    let own = await connect();
    await own.send([1, 2, 3]);
    await own.startConsumer();
    await own.appliedToBe([1, 2, 3]);
    const topicId = await own.storedTopicId();
    expect(topicId).not.toBeNull();
    await disconnect();

    expect(await kafka('stop')).toMatch(/stopped broker/);
    expect(await kafka('start')).toMatch(/keeping the data/);
    own = await connect();
    expect((await own.runtime.topicIds([own.topic])).get(own.topic)).toBe(topicId);
    await own.send([4]);
    await own.startConsumer();
    // The committed offset and the stored position survived: 1-3 are not read again, 4 is applied.
    await own.appliedToBe([1, 2, 3, 4]);
    expect(await own.resets('topic-id-changed')).toBe(0);
    expect(await own.resets('beyond-end-offset')).toBe(0);
    await disconnect();

    expect(await kafka('reset')).toMatch(/deleted the broker's data/);
    expect(await kafka('start')).not.toMatch(/keeping the data/);
    // Positions stored before topic ids were recorded: only the end offset tells that the log is gone.
    await dataSource.query(`UPDATE "${schema}".consumer_positions SET topic_id = NULL`);
    own = await connect();
    await own.send([5, 6]);
    await own.startConsumer();
    await own.appliedToBe([1, 2, 3, 4, 5, 6]);
    expect(await own.resets('beyond-end-offset')).toBe(1);
    expect(own.loggedResets('beyond-end-offset')).toEqual([
      expect.objectContaining({ topic: own.topic, storedNextOffset: '4', highWatermark: '2', reappliedFrom: '0' }),
    ]);
    expect(await own.storedTopicId()).toBe((await own.runtime.topicIds([own.topic])).get(own.topic));
    // Two broker starts and a stop: 20-30 s each on a busy 2-core host.
  }, 240_000);
});
