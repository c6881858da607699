// One process of the transport floor (transport-floor.bench.ts starts four): the pipeline's Kafka
// hops with nothing between them. Usage: transport-stage.ts <role> <brokers> <topic prefix> [archive] [events]
//   source       loads the archive's events as the importer writes them, says so, waits for "go" on
//                stdin, then writes them to the raw topic with the benchmarks' topic writer;
//   identity     consumes the raw topic and produces the links it would (transport-shape.ts);
//   attribution  consumes the raw and links topics and produces the touches and user-sources facts;
//   sink         consumes both fact topics.
// Each prints one JSON line per state change ({"ready":...}, {"loaded":...}, {"sent":...}).

import { createInterface } from 'node:readline';
import { topicWriter } from '@touchstream/bench';
import { TOPICS } from '@touchstream/contracts';
import { KafkaRuntime, type ConsumedMessage, type OutgoingMessage } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { archiveMessages } from './archive-sample';
import { derivedMessage, derivedOf, type DerivedKind } from './transport-shape';

type Role = 'source' | 'identity' | 'attribution' | 'sink';

const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function source(runtime: KafkaRuntime, archive: string, events: number): Promise<void> {
  const messages = await archiveMessages(archive, events);
  const expected = { raw: messages.length, link: 0, touch: 0, userSources: 0 };
  for (const message of messages) {
    const derived = derivedOf(message.value as Buffer);
    for (const kind of ['link', 'touch', 'userSources'] as const) if (derived[kind]) expected[kind] += 1;
  }
  say({ loaded: expected });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line.trim() === 'go') break;
  const started = performance.now();
  const writer = topicWriter(runtime, runtime.topic(TOPICS.rawEvents));
  for (const message of messages) await writer.write(message);
  await writer.close();
  say({ sent: messages.length, ms: Math.round(performance.now() - started) });
}

/** A consuming role: its group, topics, concurrency (the services' defaults) and what it produces per raw event. */
const CONSUMERS: Record<Exclude<Role, 'source'>, { topics: string[]; concurrency: number; produces: DerivedKind[] }> = {
  identity: { topics: [TOPICS.rawEvents.name], concurrency: 3, produces: ['link'] },
  attribution: { topics: [TOPICS.rawEvents.name, TOPICS.identityLinks.name], concurrency: 4, produces: ['touch', 'userSources'] },
  sink: { topics: [TOPICS.userSources.name, TOPICS.touches.name], concurrency: 12, produces: [] },
};

const TOPIC_OF: Record<DerivedKind, string> = {
  link: TOPICS.identityLinks.name,
  touch: TOPICS.touches.name,
  userSources: TOPICS.userSources.name,
};

async function consume(runtime: KafkaRuntime, role: Exclude<Role, 'source'>): Promise<void> {
  const { topics, concurrency, produces } = CONSUMERS[role];
  const rawTopic = runtime.topic(TOPICS.rawEvents);
  await runtime.connectProducer();
  await runtime.startConsumer<Buffer | null>({
    groupId: `transport-${role}`,
    topics: topics.map((topic) => runtime.topic(topic)),
    // No parsing: the floor measures the hops alone.
    decode: (value) => value,
    partitionsConsumedConcurrently: concurrency,
    handle: async (messages: ConsumedMessage<Buffer | null>[]) => {
      if (produces.length === 0) return;
      const out = new Map<string, OutgoingMessage[]>();
      for (const message of messages) {
        if (message.topic !== rawTopic || message.value === null) continue;
        const derived = derivedOf(message.value);
        for (const kind of produces) {
          if (!derived[kind]) continue;
          const topic = runtime.topic(TOPIC_OF[kind]);
          const list = out.get(topic) ?? [];
          list.push(derivedMessage(kind, message.key));
          out.set(topic, list);
        }
      }
      await Promise.all([...out].map(([topic, list]) => runtime.producer.send(topic, list)));
    },
  });
  say({ ready: role });
}

async function main(): Promise<void> {
  const [role, brokers, prefix, archive, events] = process.argv.slice(2) as [Role, string, string, string?, string?];
  const runtime = new KafkaRuntime(
    { brokers: brokers.split(','), clientId: `transport-${role}`, topicPrefix: prefix },
    new Logger({ service: `transport-${role}`, level: 'warn' }),
  );
  // Shut down and let the event loop end: the orchestrator waits for the exit.
  const stop = () => void runtime.shutdown();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (role === 'source') {
    await runtime.connectProducer();
    await source(runtime, archive as string, Number(events));
    await runtime.shutdown();
    return;
  }
  await consume(runtime, role);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
