// Benchmark, not a test:
//   npx tsc -b services/segment-sink/tsconfig.build.json tools/testing/tsconfig.build.json && npx tsx services/segment-sink/bench/sink.bench.ts
// (the service runs from dist/, as in production; the receiver is tools/testing's, from dist/).
//
// 1. Writes --users synthetic people (default 50,000) into fresh, prefixed attribution topics:
//    three touches each (paid search, organic search, social; realistic URLs and referrers) and
//    one user-sources fact: 200,000 messages that become 200,000 Segment calls (50,000 identifies,
//    150,000 tracks).
// 2. Starts the compiled sink against tools/testing's Segment receiver, which enforces Segment's
//    limits and answers 200 at once, and waits until every messageId has arrived.
// 3. Reports events/s delivered (first to last arrival, and from process start), requests,
//    bytes and events per batch, duplicates, and the sink's CPU time.
// 4. Measures the ceilings in the same run: libs/kafka's consumer reading the same topics with the
//    same contract decoding into a handler that does nothing, and the receiver taking 480 KB
//    batches posted straight from this process; then deletes the topics and the schema.
//
// Options: --users=N  --json=FILE  --sink-env=KEY=VALUE,KEY=VALUE (extra settings for the sink)
//          --cpu-prof (the sink writes a .cpuprofile into .cache/sink-bench/)
// Environment: KAFKA_BROKERS (default 127.0.0.1:19092), DATABASE_URL (default the local server,
// database touchstream_bench).
//
// The machine is shared (2 cores; the broker, Postgres, the receiver in this process, the sink and
// other engineers' builds run on them): the load average is printed before and after.

import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import {
  cpuSecondsOf,
  describeHostSpeed,
  loadAverage,
  measureHostSpeed,
  optionValue,
  percentile,
  rate,
  seconds,
  startBenchService,
  topicWriter,
  until,
  type BenchService,
  writeJsonResult,
} from '@touchstream/bench';
import {
  TOPICS,
  TOUCH_TYPE,
  USER_SOURCES_TYPE,
  touchEventId,
  touchSchema,
  userSourcesEventId,
  userSourcesSchema,
  type TouchData,
  type TouchSource,
  type UserSourcesData,
} from '@touchstream/contracts';
import { ensureDatabase } from '@touchstream/database';
import { envelopeMessage, jsonDecoder, KafkaRuntime } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { DEFAULT_BATCH_LIMITS, packBatches, requestBody, trackCall } from '@touchstream/segment-delivery';
import type { startSegmentReceiver as StartSegmentReceiver } from '@touchstream/testing';
import { Pool as HttpPool } from 'undici';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const TARGET_PER_SECOND = 20_000;
const WRITE_KEY = 'bench-write-key';

interface Options {
  users: number;
  cpuProf: boolean;
  json: string | undefined;
  sinkEnv: Record<string, string>;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string) => optionValue(argv, name);
  const users = Number(value('users') ?? 50_000);
  if (!Number.isInteger(users) || users < 1) throw new Error('--users must be a positive integer');
  const sinkEnv = Object.fromEntries(
    (value('sink-env') ?? '')
      .split(',')
      .filter((pair) => pair.includes('='))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  return { users, json: value('json'), sinkEnv, cpuProf: argv.includes('--cpu-prof') };
}

function source(overrides: Partial<TouchSource>): TouchSource {
  return {
    internal: false,
    channel: null,
    source: null,
    medium: null,
    campaign: null,
    term: null,
    content: null,
    referrerHost: null,
    referrerName: null,
    referrerCategory: null,
    searchTerm: null,
    clickId: null,
    clickIdParam: null,
    landingUrl: null,
    ...overrides,
  };
}

/** One person's three touches, as the attribution service publishes them. */
function touchesOf(n: number): TouchData[] {
  const anonymousId = `anon-${n}-${randomBytes(4).toString('hex')}`;
  const userId = `user-${n}`;
  const day = (offset: number) => new Date(Date.UTC(2024, 0, 1) + (n % 300) * 86_400_000 + offset * 3_600_000).toISOString();
  const paidUrl = `https://www.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring-${n % 17}&utm_term=attribution+software&gclid=Cj0KCQ${n}`;
  const organicUrl = `https://www.example.com/blog/first-touch-vs-last-touch-${n % 40}`;
  const socialUrl = `https://www.example.com/blog/segment-webhooks?ref=${n % 9}`;
  const base = (i: number, occurredAt: string) => ({
    touchId: `bench-touch-${n}-${i}`,
    anonymousId,
    userId: i === 2 ? userId : null,
    sessionId: `bench-session-${n}-${i}`,
    messageId: `bench-message-${n}-${i}`,
    occurredAt,
    status: 'recorded' as const,
    revision: 1,
  });
  return [
    {
      ...base(0, day(0)),
      url: paidUrl,
      referrer: 'https://www.google.com/',
      source: source({
        channel: 'Paid Search',
        source: 'google',
        medium: 'cpc',
        campaign: `spring-${n % 17}`,
        term: 'attribution software',
        referrerHost: 'www.google.com',
        referrerName: 'Google',
        referrerCategory: 'search',
        clickId: `Cj0KCQ${n}`,
        clickIdParam: 'gclid',
        landingUrl: paidUrl,
      }),
    },
    {
      ...base(1, day(30)),
      url: organicUrl,
      referrer: 'https://duckduckgo.com/?q=first+touch+attribution',
      source: source({
        channel: 'Organic Search',
        source: 'duckduckgo',
        medium: 'organic',
        term: 'first touch attribution',
        referrerHost: 'duckduckgo.com',
        referrerName: 'DuckDuckGo',
        referrerCategory: 'search',
        searchTerm: 'first touch attribution',
        landingUrl: organicUrl,
      }),
    },
    {
      ...base(2, day(60)),
      url: socialUrl,
      referrer: 'https://www.linkedin.com/feed/',
      source: source({
        channel: 'Organic Social',
        source: 'linkedin',
        medium: 'social',
        referrerHost: 'www.linkedin.com',
        referrerName: 'LinkedIn',
        referrerCategory: 'social',
        landingUrl: socialUrl,
      }),
    },
  ];
}

function envelope<T>(id: string, type: string, occurredAt: string, data: T) {
  return {
    id,
    type,
    occurredAt,
    recordedAt: new Date().toISOString(),
    correlationId: id,
    causationId: null,
    source: 'replay' as const,
    data,
  };
}

/** Writes every person's touches and fact; returns how many Segment calls they make. */
async function fillTopics(runtime: KafkaRuntime, users: number): Promise<{ ms: number; messages: number; bytes: number }> {
  const started = performance.now();
  const touches = topicWriter(runtime, runtime.topic(TOPICS.touches));
  const facts = topicWriter(runtime, runtime.topic(TOPICS.userSources));
  for (let n = 0; n < users; n += 1) {
    const personTouches = touchesOf(n);
    for (const touch of personTouches)
      await touches.write(
        envelopeMessage(envelope(touchEventId(touch.touchId, 1), TOUCH_TYPE, touch.occurredAt, touch), touch.anonymousId),
      );
    const [first, , last] = personTouches as [TouchData, TouchData, TouchData];
    const fact: UserSourcesData = {
      subjectType: 'user',
      subjectId: `user-${n}`,
      version: 1,
      firstTouch: first,
      lastTouch: last,
      lastTouchModel: 'last-non-direct',
      touchCount: 3,
      userIds: [`user-${n}`],
    };
    await facts.write(
      envelopeMessage(envelope(userSourcesEventId('user', fact.subjectId, 1), USER_SOURCES_TYPE, last.occurredAt, fact), fact.subjectId),
    );
    if ((n + 1) % 20_000 === 0) process.stdout.write(`  produced ${(n + 1).toLocaleString('en')} people\n`);
  }
  const written = [await touches.close(), await facts.close()];
  return {
    ms: performance.now() - started,
    messages: written.reduce((sum, topic) => sum + topic.count, 0),
    bytes: written.reduce((sum, topic) => sum + topic.bytes, 0),
  };
}

/**
 * Events/s the receiver takes when nothing else runs in front of it: this process posts the
 * sink's own kind of requests (Source Identified tracks of generated touches, packed to 480 KB) to
 * it over an undici Pool, as many at once as the sink has in flight.
 */
async function receiverCeiling(url: string, inFlight: number, requests: number): Promise<number> {
  const calls = { sourceIdentifiedEvent: 'Source Identified', library: { name: 'touchstream-segment-sink', version: '0.1.0' } };
  const events: string[] = [];
  for (let n = 0; events.length < 4_000; n += 1) {
    for (const touch of touchesOf(n)) {
      const call = trackCall(touch, touch.userId, calls);
      if (call) events.push(JSON.stringify(call));
    }
  }
  const sizes = events.map((event) => Buffer.byteLength(event));
  const bodies = packBatches(sizes, DEFAULT_BATCH_LIMITS).map((range) => ({
    body: Buffer.from(requestBody(events.slice(range.start, range.end), new Date())),
    events: range.end - range.start,
  }));
  const pool = new HttpPool(url, { connections: inFlight });
  const headers = { authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`, 'content-type': 'application/json' };
  let next = 0;
  let delivered = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < requests) {
        const { body, events: count } = bodies[next % bodies.length] as { body: Buffer; events: number };
        next += 1;
        const response = await pool.request({ path: '/v1/batch', method: 'POST', headers, body });
        await response.body.text();
        if (response.statusCode !== 200) throw new Error(`receiver answered ${response.statusCode}`);
        delivered += count;
      }
    }),
  );
  const ms = performance.now() - started;
  await pool.close();
  return delivered / (ms / 1000);
}

/** Messages/s the same consumer library reads the bench topics at, decoding each against its contract and doing nothing else. */
async function consumeCeiling(runtime: KafkaRuntime, groupId: string, expected: number): Promise<number> {
  const touchesTopic = runtime.topic(TOPICS.touches);
  const decodeTouch = jsonDecoder(touchSchema);
  const decodeFacts = jsonDecoder(userSourcesSchema);
  let consumed = 0;
  let firstAt = 0;
  let lastAt = 0;
  const consumer = await runtime.startConsumer<unknown>({
    groupId,
    topics: [runtime.topic(TOPICS.userSources), touchesTopic],
    decode: (value, topic) => (topic === touchesTopic ? decodeTouch(value) : decodeFacts(value)),
    handle: (messages) => {
      if (firstAt === 0) firstAt = performance.now();
      consumed += messages.length;
      lastAt = performance.now();
      return Promise.resolve();
    },
    partitionsConsumedConcurrently: 12,
  });
  await until(() => (consumed >= expected ? true : undefined), 600_000, 'the ceiling consumer', 100);
  await consumer.stop();
  return consumed / Math.max(0.001, (lastAt - firstAt) / 1000);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/touchstream_bench';
  const run = randomBytes(4).toString('hex');
  const prefix = `bench.sink.${run}`;
  const schema = `bench_sink_${run}`;
  const group = `bench-sink-${run}`;
  const expected = options.users * 4;
  const logger = new Logger({ service: 'bench', level: 'warn' });
  // tools/testing's index also loads vitest, which a plain script cannot; the receiver module alone is what is needed.
  const { startSegmentReceiver } = (await import(resolve(REPO_ROOT, 'tools/testing/dist/segment-receiver.js'))) as {
    startSegmentReceiver: typeof StartSegmentReceiver;
  };

  console.log(`segment-sink benchmark: ${options.users.toLocaleString('en')} people -> ${expected.toLocaleString('en')} Segment calls`);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadAverage().join(' ')}`);
  const hostBefore = measureHostSpeed();
  console.log(`before: ${describeHostSpeed(hostBefore)}`);

  await ensureDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  const runtime = new KafkaRuntime({ brokers: brokers.split(','), clientId: 'sink-bench', topicPrefix: prefix }, logger);
  const receiver = await startSegmentReceiver({ writeKey: WRITE_KEY, record: 'ids' });
  let service: BenchService | undefined;
  try {
    await runtime.provision([TOPICS.touches, TOPICS.userSources]);
    await runtime.connectProducer();
    const filled = await fillTopics(runtime, options.users);
    console.log(
      `1. produced ${filled.messages.toLocaleString('en')} messages (${(filled.bytes / 1e6).toFixed(0)} MB) in ${seconds(filled.ms)} s: ` +
        `${rate(filled.messages / (filled.ms / 1000))} msg/s (this broker's rate for this data, for scale)`,
    );

    const env: NodeJS.ProcessEnv = {
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: databaseUrl,
      SINK_DB_SCHEMA: schema,
      SINK_CONSUMER_GROUP: group,
      LOG_LEVEL: 'warn',
      SEGMENT_WRITE_KEY: WRITE_KEY,
      SEGMENT_API_HOST: receiver.url,
      ...options.sinkEnv,
    };
    const started = performance.now();
    const profile = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${resolve(REPO_ROOT, '.cache/sink-bench')}`] : [];
    service = await startBenchService({ service: 'segment-sink', env, portVariable: 'SINK_PORT', nodeArgs: profile });
    const readyMs = performance.now() - started;
    const seen = new Set<string>();
    let counted = 0;
    const progress = setInterval(() => {
      const requests = receiver.requests();
      for (; counted < requests.length; counted += 1) {
        const request = requests[counted];
        if (request?.outcome === 'accepted') for (const event of request.events) seen.add(String(event.messageId));
      }
      process.stdout.write(`  delivered ${seen.size.toLocaleString('en')} / ${expected.toLocaleString('en')}\n`);
    }, 2_000);
    await until(
      () => {
        const requests = receiver.requests();
        for (; counted < requests.length; counted += 1) {
          const request = requests[counted];
          if (request?.outcome === 'accepted') for (const event of request.events) seen.add(String(event.messageId));
        }
        return seen.size >= expected ? true : undefined;
      },
      600_000,
      'every event at the receiver',
      100,
    );
    clearInterval(progress);
    const doneMs = performance.now() - started;
    const cpu = cpuSecondsOf(service.pid);

    const accepted = receiver.requests().filter((request) => request.outcome === 'accepted');
    const refused = receiver.requests().filter((request) => request.outcome !== 'accepted');
    const first = Math.min(...accepted.map((request) => request.receivedAt));
    const last = Math.max(...accepted.map((request) => request.receivedAt));
    const events = accepted.reduce((sum, request) => sum + request.events.length, 0);
    const bytes = accepted.map((request) => request.bytes).sort((a, b) => a - b);
    const perBatch = accepted.map((request) => request.events.length).sort((a, b) => a - b);
    const deliveryRate = expected / Math.max(0.001, (last - first) / 1000);
    const endToEnd = expected / (doneMs / 1000);
    const summary = {
      people: options.users,
      events: expected,
      readySeconds: Number(seconds(readyMs)),
      firstToLastSeconds: Number(((last - first) / 1000).toFixed(1)),
      eventsPerSecondDelivering: Math.round(deliveryRate),
      eventsPerSecondFromStart: Math.round(endToEnd),
      requests: accepted.length,
      refusedRequests: refused.length,
      duplicates: events - seen.size,
      batchBytes: {
        mean: Math.round(bytes.reduce((sum, n) => sum + n, 0) / bytes.length),
        p50: percentile(bytes, 50),
        max: bytes.at(-1) ?? 0,
      },
      batchEvents: { mean: Math.round(events / accepted.length), p50: percentile(perBatch, 50), max: perBatch.at(-1) ?? 0 },
      sinkCpuSeconds: cpu,
      loadAverage: loadAverage(),
      hostSpeedProbe: { before: hostBefore, after: measureHostSpeed() },
    };
    console.log(
      `2. sink ready after ${seconds(readyMs)} s (consumer group joined); all ${expected.toLocaleString('en')} events delivered ${seconds(doneMs)} s after start`,
    );
    console.log(
      `   delivering: ${rate(deliveryRate)} events/s (first to last arrival, ${summary.firstToLastSeconds} s); from process start: ${rate(endToEnd)} events/s; ` +
        `target ${rate(TARGET_PER_SECOND)}: ${deliveryRate >= TARGET_PER_SECOND ? 'met' : 'NOT met'}`,
    );
    console.log(
      `   ${accepted.length.toLocaleString('en')} requests, ${refused.length} refused, ${summary.duplicates} duplicate events; ` +
        `bytes per batch mean ${summary.batchBytes.mean.toLocaleString('en')} / p50 ${summary.batchBytes.p50.toLocaleString('en')} / max ${summary.batchBytes.max.toLocaleString('en')}; ` +
        `events per batch mean ${summary.batchEvents.mean} / max ${summary.batchEvents.max}`,
    );
    console.log(
      `   sink CPU ${cpu.toFixed(1)} s (${(cpu / (doneMs / 1000)).toFixed(2)} cores); load average after ${summary.loadAverage.join(' ')}; ` +
        `after: ${describeHostSpeed(summary.hostSpeedProbe.after)}`,
    );

    await service.stop('SIGTERM');
    service = undefined;

    const ceiling = await consumeCeiling(runtime, `${group}-ceiling`, expected);
    const receiving = await receiverCeiling(receiver.url, Number(env.SINK_MAX_IN_FLIGHT ?? process.env.SINK_MAX_IN_FLIGHT ?? 8), 120);
    const bound = Math.min(ceiling, receiving);
    console.log(
      `3. ceilings in this run: libs/kafka's consumer (same topics, same contract decoding, a handler that does nothing) ${rate(ceiling)} msg/s; ` +
        `the receiver taking 480 KB batches of tracks straight from this process ${rate(receiving)} events/s; ` +
        `the sink delivered at ${((deliveryRate / bound) * 100).toFixed(0)}% of the lower one`,
    );
    if (options.json) {
      const json = {
        ...summary,
        kafkaCeilingMessagesPerSecond: Math.round(ceiling),
        receiverCeilingEventsPerSecond: Math.round(receiving),
      };
      writeJsonResult(options.json, json);
    }
  } finally {
    await service?.stop('SIGKILL');
    await runtime
      .deleteTopics([runtime.topic(TOPICS.touches), runtime.topic(TOPICS.userSources), `${prefix}.${group}.dead-letter.v1`])
      .catch((error: unknown) => console.log(`could not delete the bench topics: ${(error as Error).message}`));
    await runtime.shutdown().catch(() => undefined);
    await receiver.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
