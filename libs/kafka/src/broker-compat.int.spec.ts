/**
 * What the project needs from whichever Apache Kafka it runs against: CI runs this file against
 * the default 4.x broker with the rest of the suite, and again against a 3.9 broker for users on
 * older clusters (.ci/run).
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testKafkaSettings, testLogger, testNamespace, waitFor } from '@touchstream/testing';
import { createKafka } from './client';
import { jsonDecoder } from './codec';
import type { ConsumedMessage } from './messages';
import { KafkaRuntime } from './runtime';
import type { BatchConsumer } from './consumer';

interface VersionRange {
  minVersion: number;
  maxVersion: number;
}

/** The part of kafkajs's internal Broker used here: connect() runs ApiVersions and keeps the answer. */
interface InternalBroker {
  versions: Record<number, VersionRange | undefined>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The API versions the broker accepts, next to the versions kafkajs implements. kafkajs picks
 * min(newest it implements, broker's max) and never looks at the broker's min (protocol/requests
 * lookup), so a broker that dropped old versions (Kafka 4.0 did, KIP-896) only shows up as
 * rejected requests at run time. These are kafkajs internals: kafkajs is pinned to an exact version.
 */
async function apiVersionsBothSides(address: string): Promise<{ name: string; kafkajs: number[]; broker?: VersionRange }[]> {
  const kafkajs = createRequire(__filename);
  const requests = (kafkajs('kafkajs/src/protocol/requests') as { requests: Record<string, { versions: string[] }> }).requests;
  const apiKeys = kafkajs('kafkajs/src/protocol/requests/apiKeys') as Record<string, number>;
  const Broker = kafkajs('kafkajs/src/broker') as new (options: object) => InternalBroker;
  const ConnectionPool = kafkajs('kafkajs/src/network/connectionPool') as new (options: object) => object;
  const socketFactory = kafkajs('kafkajs/src/network/socketFactory') as () => unknown;
  const { createLogger } = kafkajs('kafkajs/src/loggers') as { createLogger: (options: object) => object };
  const [host, port] = address.split(':');
  const logger = createLogger({ level: 0, logCreator: () => () => undefined });
  const connectionPool = new ConnectionPool({
    host,
    port: Number(port),
    clientId: 'broker-compat',
    logger,
    connectionTimeout: 5_000,
    requestTimeout: 10_000,
    socketFactory: socketFactory(),
  });
  const broker = new Broker({ connectionPool, logger });
  await broker.connect();
  try {
    const versions = broker.versions;
    return Object.entries(apiKeys)
      .filter(([name]) => (requests[name]?.versions.length ?? 0) > 0)
      .map(([name, key]) => ({ name, kafkajs: (requests[name]?.versions ?? []).map(Number), broker: versions[key] }));
  } finally {
    await broker.disconnect();
  }
}

const valueSchema = z.object({ n: z.number().int() });
type Value = z.infer<typeof valueSchema>;

describe('the broker this suite runs against', () => {
  const namespace = testNamespace('compat');
  const settings = testKafkaSettings(namespace.topicPrefix);
  const logger = testLogger();
  let runtime: KafkaRuntime;

  beforeAll(async () => {
    runtime = new KafkaRuntime(settings, logger, { maxBatchMessages: 20 });
    await runtime.connectProducer();
  });

  afterAll(async () => {
    await runtime.shutdown();
  });

  it('accepts every request kafkajs makes at the version kafkajs sends it', async () => {
    const apis = await apiVersionsBothSides(settings.brokers[0] ?? '');
    // The ones this project calls: produce (idempotent), fetch, groups, commits, admin.
    const used = ['Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetCommit', 'OffsetFetch', 'GroupCoordinator', 'JoinGroup'];
    used.push('Heartbeat', 'LeaveGroup', 'SyncGroup', 'DescribeGroups', 'ApiVersions', 'CreateTopics', 'DeleteTopics');
    used.push('InitProducerId', 'DescribeConfigs', 'SaslHandshake', 'SaslAuthenticate');
    expect(apis.map((api) => api.name)).toEqual(expect.arrayContaining(used));
    const rejected = apis
      .filter((api) => used.includes(api.name))
      .flatMap(({ name, kafkajs, broker }) => {
        if (!broker) return [`${name}: the broker has no such API`];
        const sent = Math.min(Math.max(...kafkajs), broker.maxVersion);
        return sent < broker.minVersion
          ? [`${name}: kafkajs sends v${sent}, the broker accepts v${broker.minVersion}-v${broker.maxVersion}`]
          : [];
      });
    expect(rejected).toEqual([]);
  });

  it('splits a group between two members, hands everything to the one left, and commits every offset', async () => {
    const spec = { name: 'rebalance.v1', partitions: 4, retentionMs: 3_600_000, cleanupPolicy: 'delete' as const };
    const topic = runtime.topic(spec);
    const groupId = `${namespace.id}-rebalance`;
    await runtime.provision([spec], [groupId]);
    const seenBy = { first: [] as ConsumedMessage<Value>[], second: [] as ConsumedMessage<Value>[] };
    const member = (name: keyof typeof seenBy) =>
      runtime.startConsumer<Value>({
        groupId,
        topics: [topic],
        decode: jsonDecoder(valueSchema),
        handle: async (messages) => void seenBy[name].push(...messages),
      });
    const send = (round: number) =>
      runtime.producer.send(
        topic,
        Array.from({ length: 40 }, (_, n) => ({ key: `key-${n}`, value: JSON.stringify({ n: round * 100 + n }) })),
      );
    const admin = createKafka(settings, logger).admin();
    await admin.connect();
    const stableWith = (members: number) =>
      waitFor(
        async () => {
          const [group] = (await admin.describeGroups([runtime.group(groupId)])).groups;
          return group?.state === 'Stable' && group.members.length === members && group.members.every((m) => m.memberAssignment.length > 0);
        },
        { description: `the group stable with ${members} member(s), each assigned partitions` },
      );
    const values = (messages: ConsumedMessage<Value>[], round: number) =>
      messages.map((message) => message.value.n).filter((n) => Math.floor(n / 100) === round);
    const all = (round: number) => Array.from({ length: 40 }, (_, n) => round * 100 + n);
    const sorted = (list: number[]) => [...new Set(list)].sort((a, b) => a - b);
    try {
      const first = await member('first');
      await stableWith(1);
      await send(1);
      await waitFor(() => values(seenBy.first, 1).length >= 40, { description: 'round 1 consumed by the only member' });

      await member('second');
      await stableWith(2);
      await send(2);
      const round2 = () => [...values(seenBy.first, 2), ...values(seenBy.second, 2)];
      await waitFor(() => sorted(round2()).length === 40, { description: 'round 2 consumed by the two members' });
      // Each member got its share of the four partitions.
      expect(values(seenBy.first, 2).length).toBeGreaterThan(0);
      expect(values(seenBy.second, 2).length).toBeGreaterThan(0);
      const partitionsOf = (messages: ConsumedMessage<Value>[]) =>
        new Set(messages.filter((message) => Math.floor(message.value.n / 100) === 2).map((message) => message.partition));
      expect([...partitionsOf(seenBy.first)].filter((p) => partitionsOf(seenBy.second).has(p))).toEqual([]);

      await runtime.stopConsumer(first as BatchConsumer<unknown>);
      await stableWith(1);
      await send(3);
      await waitFor(() => sorted(values(seenBy.second, 3)).length === 40, { description: 'round 3 consumed by the member left' });

      expect(sorted(values(seenBy.first, 1))).toEqual(all(1));
      expect(sorted(round2())).toEqual(all(2));
      await waitFor(async () => (await runtime.lag(groupId, [topic])).every((partition) => partition.lag === 0), {
        description: 'every partition committed up to its end',
      });
      const committed = (await runtime.lag(groupId, [topic])).reduce((sum, partition) => sum + partition.committed, 0);
      expect(committed).toBe(120);
    } finally {
      await admin.disconnect();
    }
  });
});
