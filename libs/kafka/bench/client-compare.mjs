// Experiment, not part of the build: CPU per message of the Kafka client process, kafkajs (as
// libs/kafka drives it: ~800 KB produce calls, four in flight; eachBatch consumer, 64 kB / 200 ms
// fetches) against node-rdkafka (librdkafka), for the redesign question in docs/benchmarks.md
// (ninth round). node-rdkafka is not a dependency: build it outside the project (it compiles its
// bundled librdkafka; here `npm_config_nodedir=/usr npm install node-rdkafka@3.6.1` in /tmp/rdk,
// 2.5 minutes) and point NODE_RDKAFKA at that node_modules/node-rdkafka.
//
//   node libs/kafka/bench/client-compare.mjs kafkajs 200000
//   NODE_RDKAFKA=/tmp/rdk/node_modules/node-rdkafka node libs/kafka/bench/client-compare.mjs node-rdkafka 200000
//
// One fresh 6-partition topic per run (deleted after); ~1.3 kB values, three trace headers, 5,000
// keys. CPU is process.cpuUsage(): every thread of the process, librdkafka's included; the
// broker's is not counted.
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const require = createRequire(import.meta.url);
const client = process.argv[2];
const N = Number(process.argv[3] || 200000);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const topic = `cmp.${client}.${Date.now()}`;
const value = Buffer.from(JSON.stringify({ pad: 'x'.repeat(1280) }));
const headers = {
  'x-correlation-id': '2b0c4a6e-8f0d-4c4e-9b7a-2f6f0c1d3e5a',
  'x-causation-id': '7d9e1f3a-5b2c-4d6e-8f0a-1b3c5d7e9f1a',
  'x-source': 'import',
};
const keys = Array.from({ length: 5000 }, (_, i) => `anon-${i}-${'k'.repeat(20)}`);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const kafka = new Kafka({ brokers, clientId: 'cmp', logLevel: logLevel.NOTHING });
async function createTopic() {
  const a = kafka.admin();
  await a.connect();
  await a.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  await a.disconnect();
}
async function deleteTopic() {
  const a = kafka.admin();
  await a.connect();
  await a.deleteTopics({ topics: [topic] });
  await a.disconnect();
}

async function kafkajsRun() {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let c0 = cpu(),
    t0 = Date.now();
  const inflight = new Set();
  for (let i = 0; i < N; i += 600) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + 600); j++) messages.push({ key: keys[j % keys.length], value, headers });
    const p = producer.send({ topic, messages, acks: -1 }).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 4) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const produce = { cpu: cpu() - c0, ms: Date.now() - t0 };
  await producer.disconnect();
  const consumer = kafka.consumer({
    groupId: `cmp-${topic}`,
    maxBytesPerPartition: 2 * 1024 * 1024,
    minBytes: 64 * 1024,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let bytes = 0;
  c0 = cpu();
  t0 = Date.now();
  await new Promise((done) => {
    consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          bytes += m.value.length;
          for (const k in m.headers) bytes += m.headers[k].length;
        }
        seen += batch.messages.length;
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }]);
        if (seen >= N) done();
      },
    });
  });
  const consume = { cpu: cpu() - c0, ms: Date.now() - t0 };
  await consumer.disconnect();
  return { produce, consume };
}

async function rdkafkaRun() {
  const Kafka = require(process.env.NODE_RDKAFKA ?? 'node-rdkafka');
  const producer = new Kafka.Producer({
    'metadata.broker.list': brokers.join(','),
    dr_cb: true,
    'linger.ms': 5,
    'batch.size': 1000000,
    acks: -1,
    'queue.buffering.max.messages': 200000,
    'queue.buffering.max.kbytes': 1048576,
    'enable.idempotence': false,
  });
  await new Promise((ok, ko) => {
    producer.connect({}, (e) => (e ? ko(e) : ok()));
  });
  producer.setPollInterval(50);
  let acked = 0;
  let c0 = cpu(),
    t0 = Date.now();
  const allAcked = new Promise((done) =>
    producer.on('delivery-report', (err) => {
      if (err) throw err;
      acked += 1;
      if (acked === N) done();
    }),
  );
  const hdrs = Object.entries(headers).map(([k, v]) => ({ [k]: v }));
  for (let i = 0; i < N; i++) {
    for (;;) {
      try {
        producer.produce(topic, null, value, keys[i % keys.length], Date.now(), undefined, hdrs);
        break;
      } catch (e) {
        if (String(e.message).includes('Queue full')) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        throw e;
      }
    }
  }
  await allAcked;
  const produce = { cpu: cpu() - c0, ms: Date.now() - t0 };
  await new Promise((ok) => producer.disconnect(ok));
  const consumer = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': brokers.join(','),
      'group.id': `cmp-${topic}`,
      'enable.auto.commit': false,
      'fetch.min.bytes': 65536,
      'fetch.wait.max.ms': 200,
      'max.partition.fetch.bytes': 2097152,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise((ok, ko) => consumer.connect({}, (e) => (e ? ko(e) : ok())));
  consumer.subscribe([topic]);
  let seen = 0;
  let bytes = 0;
  c0 = cpu();
  t0 = Date.now();
  await new Promise((done) => {
    const loop = () =>
      consumer.consume(2000, (err, messages) => {
        if (err) throw err;
        for (const m of messages) {
          bytes += m.value.length;
          for (const h of m.headers || []) for (const k in h) bytes += h[k].length;
        }
        seen += messages.length;
        if (messages.length > 0) consumer.commit();
        if (seen >= N) return done();
        setImmediate(loop);
      });
    loop();
  });
  const consume = { cpu: cpu() - c0, ms: Date.now() - t0 };
  await new Promise((ok) => consumer.disconnect(ok));
  return { produce, consume };
}

(async () => {
  await createTopic();
  try {
    const r = client === 'kafkajs' ? await kafkajsRun() : await rdkafkaRun();
    const us = (x) => Math.round((x.cpu * 1e6) / N);
    console.log(
      JSON.stringify({
        client,
        N,
        produce: { cpuS: r.produce.cpu.toFixed(1), usPerMsg: us(r.produce), msgPerS: Math.round(N / (r.produce.ms / 1000)) },
        consume: { cpuS: r.consume.cpu.toFixed(1), usPerMsg: us(r.consume), msgPerS: Math.round(N / (r.consume.ms / 1000)) },
      }),
    );
  } finally {
    await deleteTopic();
  }
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
