import { afterAll, beforeAll } from 'vitest';
import { deadLetterTopic, TOPICS, type RawEvent, type TopicSpec } from '@touchstream/contracts';
import { KafkaRuntime, type OutgoingMessage } from '@touchstream/kafka';
import { gaugeValue, settleVerdict, type PipelineSnapshot, type SettleVerdict } from '@touchstream/local-infra';
import { testKafkaSettings, testLogger, waitFor } from '@touchstream/testing';
import type { Pipeline, ServiceName } from './pipeline';

export type Consumer = Exclude<ServiceName, 'ingest'>;

/** In pipeline order: what each consuming service reads, and whether it publishes through an outbox. */
const CONSUMERS: ReadonlyArray<{ service: Consumer; topics: string[]; outbox: boolean }> = [
  { service: 'identity', topics: [TOPICS.rawEvents.name], outbox: true },
  { service: 'attribution', topics: [TOPICS.rawEvents.name, TOPICS.identityLinks.name], outbox: true },
  { service: 'segment-sink', topics: [TOPICS.userSources.name, TOPICS.touches.name], outbox: false },
];

/**
 * For a test suite: starts the pipeline before its tests and, after them, closes the returned
 * watch and stops the pipeline.
 */
export function pipelineForSuite(pipeline: Pipeline): PipelineWatch {
  const watch = new PipelineWatch(pipeline);
  beforeAll(() => pipeline.start(), 240_000);
  afterAll(async () => {
    await watch.close();
    await pipeline.stop();
  });
  return watch;
}

/**
 * Looks at a running Pipeline from the outside, as an operator would: consumer-group positions
 * on the broker, the services' /metrics, and the raw topic itself.
 */
export class PipelineWatch {
  private readonly runtime: KafkaRuntime;

  constructor(private readonly pipeline: Pipeline) {
    this.runtime = new KafkaRuntime(testKafkaSettings(pipeline.namespace.topicPrefix, 'e2e-watch'), testLogger('e2e-watch'));
  }

  private topics(service: Consumer): string[] {
    const consumer = CONSUMERS.find((candidate) => candidate.service === service);
    return (consumer?.topics ?? []).map((topic) => this.runtime.topic(topic));
  }

  /** Messages a service's group has committed over all its partitions: grows as it makes progress. */
  async committed(service: Consumer): Promise<number> {
    const partitions = await this.runtime.lag(this.pipeline.consumerGroup(service), this.topics(service));
    return partitions.reduce((sum, partition) => sum + partition.committed, 0);
  }

  async snapshot(): Promise<PipelineSnapshot> {
    const snapshot: PipelineSnapshot = { groups: [], outboxes: [] };
    for (const { service, outbox } of CONSUMERS) {
      const groupId = this.pipeline.consumerGroup(service);
      const partitions = await this.runtime.lag(groupId, this.topics(service));
      snapshot.groups.push({
        service,
        groupId,
        lag: partitions.reduce((sum, partition) => sum + partition.lag, 0),
        endOffsets: partitions.reduce((sum, partition) => sum + partition.end, 0),
      });
      if (!outbox) continue;
      const metrics = await (await fetch(`${this.pipeline.url(service)}/metrics`)).text();
      const pending = gaugeValue(metrics, 'touchstream_outbox_pending');
      if (pending === undefined) throw new Error(`${service} does not expose touchstream_outbox_pending`);
      snapshot.outboxes.push({ service, pending });
    }
    return snapshot;
  }

  /** Until every group is at the end of its topics and every outbox is drained, twice in a row. */
  async settled(timeoutMs = 120_000): Promise<void> {
    let previous: PipelineSnapshot | undefined;
    let verdict: SettleVerdict = { settled: false, waitingFor: ['a first look'] };
    try {
      await waitFor(
        async () => {
          const current = await this.snapshot();
          verdict = settleVerdict(previous, current);
          previous = current;
          return verdict.settled;
        },
        { timeoutMs, intervalMs: 500, description: 'the pipeline to settle' },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; still waiting for ${verdict.waitingFor.join(', ')}`);
    }
  }

  /** Every message on the raw topic, read to its end offsets. */
  rawEvents(): Promise<RawEvent[]> {
    return this.messages<RawEvent>(TOPICS.rawEvents);
  }

  /** The end offset of each partition of a topic, by partition: any message published to it moves one. */
  async endOffsets(spec: TopicSpec): Promise<Record<number, number>> {
    // The lag of a group that never committed runs from each partition's start; its ends are the topic's.
    const partitions = await this.runtime.lag(`${this.pipeline.namespace.id}-nobody`, [this.runtime.topic(spec)]);
    return Object.fromEntries(partitions.map((partition) => [partition.partition, partition.end]));
  }

  /** Every message on a topic, read to its end offsets, with its headers and its value parsed as JSON. */
  async messagesWithHeaders<T>(spec: TopicSpec): Promise<Array<{ headers: Record<string, string>; value: T }>> {
    const total = Object.values(await this.endOffsets(spec)).reduce((sum, end) => sum + end, 0);
    const topic = this.runtime.topic(spec);
    const reader = this.runtime.reader(topic);
    await reader.start();
    try {
      await waitFor(() => reader.received().length >= total, { timeoutMs: 60_000, description: `${total} messages of ${topic} read back` });
      return reader.received().map((message) => ({ headers: message.headers, value: JSON.parse(String(message.value)) as T }));
    } finally {
      await reader.stop();
    }
  }

  /** Produces messages straight onto a topic, past ingest (acknowledged by the broker when it resolves). */
  async produce(spec: TopicSpec, messages: OutgoingMessage[]): Promise<void> {
    await this.runtime.connectProducer();
    await this.runtime.producer.send(this.runtime.topic(spec), messages);
  }

  /** How many messages a consuming service has dead-lettered (its dead-letter topic's end offsets). */
  async deadLettered(service: Consumer): Promise<number> {
    const ends = await this.endOffsets(deadLetterTopic(this.pipeline.consumerGroup(service)));
    return Object.values(ends).reduce((sum, end) => sum + end, 0);
  }

  /** Every message on a topic, read to its end offsets, its value parsed as JSON. */
  async messages<T>(spec: TopicSpec): Promise<T[]> {
    const total = Object.values(await this.endOffsets(spec)).reduce((sum, end) => sum + end, 0);
    const topic = this.runtime.topic(spec);
    const reader = this.runtime.reader(topic);
    await reader.start();
    try {
      await waitFor(() => reader.received().length >= total, { timeoutMs: 60_000, description: `${total} messages of ${topic} read back` });
      return reader.json<T>();
    } finally {
      await reader.stop();
    }
  }

  async close(): Promise<void> {
    await this.runtime.shutdown();
  }
}
