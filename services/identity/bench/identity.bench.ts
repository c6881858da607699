// Benchmark, not a test: `npx tsx services/identity/bench/identity.bench.ts` after
// `npx tsc -b services/identity/tsconfig.build.json` (the service runs from dist/, as in production).
//
// 1. Writes --events generated raw events (default 1,000,000; libs/synthetic-data's archive:
//    page views, identifies, tracks of people with several devices, shuffled within a window)
//    into a fresh, prefixed segment.events.raw.v1 on the real broker.
//    Then measures, in the same run and on the first 100,000 events, the ceilings the service is
//    compared with: what the broker accepts from the same
//    batching producer (pre-serialised messages) and what Postgres accepts through the service's
//    own batched statements alone (one connection, no Kafka, no decoding).
// 2. Starts the compiled identity service on that topic, a fresh schema and a fresh consumer
//    group, and samples its progress (the consumed positions it stores with the projection) once a
//    second until its lag is 0: events/s and lag over time. --runs=N repeats this on the same topic.
// 3. Reports what each run wrote (links, timeline rows, outbox), the service's CPU time and the time
//    spent inside batch transactions, then stops the service, and at the end deletes the topics and
//    the schemas.
//
// Options: --events=N  --runs=N (default 1)  --concurrency=N (IDENTITY_CONSUMER_CONCURRENCY)  --pool=N (DATABASE_POOL_SIZE)
//          --semi-space=MB (V8 young generation; default: the service's declared node flags, 64; 0 = Node's default)
//          --cpu-prof (writes the service's CPU profile to .cache/identity-bench/)  --json=FILE
// Environment: KAFKA_BROKERS (default 127.0.0.1:19092), DATABASE_URL (default the local server,
// database touchstream_bench).
//
// The machine is shared (2 cores; the broker, Postgres, this script and other engineers' builds
// run on them): the load average is printed before and after; compare runs side by side.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import {
  brokerCeiling,
  cpuSecondsOf,
  describeHostSpeed,
  loadAverage,
  measureHostSpeed,
  optionValue,
  rate,
  seconds,
  startBenchService,
  topicWriter,
  type BenchService,
  writeJsonResult,
} from '@touchstream/bench';
import { rawEventKey, toRawEvent, TOPICS, type RawEvent } from '@touchstream/contracts';
import { createDataSource, ensureDatabase, migrate } from '@touchstream/database';
import { projectEvents } from '@touchstream/identity-graph';
import { envelopeMessage, KafkaRuntime, type OutgoingMessage } from '@touchstream/kafka';
import { gaugeValue } from '@touchstream/local-infra';
import { Logger } from '@touchstream/logging';
import { generateArchive } from '@touchstream/synthetic-data';
import { identityMigrations } from '../src/migrations';
import { writeGraph } from '../src/projection/graph-writer';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const TARGET_PER_SECOND = 20_000;
/** About 8.7 events per generated person (measured): enough people for the requested events. */
const EVENTS_PER_PERSON = 8;

interface Options {
  events: number;
  concurrency: string | undefined;
  pool: string | undefined;
  cpuProf: boolean;
  json: string | undefined;
  /** undefined: the service's declared node flags. */
  semiSpaceMb: number | undefined;
  runs: number;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string) => optionValue(argv, name);
  const events = Number(value('events') ?? 1_000_000);
  if (!Number.isInteger(events) || events < 1) throw new Error('--events must be a positive integer');
  const semiSpace = value('semi-space');
  const semiSpaceMb = semiSpace === undefined ? undefined : Number(semiSpace);
  if (semiSpaceMb !== undefined && !(Number.isInteger(semiSpaceMb) && semiSpaceMb >= 0))
    throw new Error('--semi-space must be a whole number of MB');
  const runs = Number(value('runs') ?? 1);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  return {
    events,
    concurrency: value('concurrency'),
    pool: value('pool'),
    cpuProf: argv.includes('--cpu-prof'),
    json: value('json'),
    semiSpaceMb,
    runs,
  };
}

/** Writes the archive's first `count` events to the raw topic, keyed as ingest keys them. */
async function fillRawTopic(
  runtime: KafkaRuntime,
  topic: string,
  count: number,
  sample: { messages: OutgoingMessage[]; events: RawEvent[]; size: number },
): Promise<{ ms: number; bytes: number }> {
  const archive = generateArchive({ users: Math.ceil(count / EVENTS_PER_PERSON), days: 60, seed: 'identity-bench' });
  const started = performance.now();
  const writer = topicWriter(runtime, topic);
  let written = 0;
  // Shuffled within a window: archives are not sorted, and the service must not care.
  for (const event of archive.events({ kind: 'shuffled', window: 2_000 })) {
    const raw = toRawEvent(event, { source: 'import', receivedAt: new Date(event.timestamp ?? Date.now()) });
    const message = envelopeMessage(raw, rawEventKey(raw.data.event));
    if (sample.messages.length < sample.size) {
      sample.messages.push(message);
      sample.events.push(raw);
    }
    await writer.write(message);
    written += 1;
    if (written === count) break;
    if (written % 200_000 === 0) process.stdout.write(`  produced ${written.toLocaleString('en')}\n`);
  }
  const { bytes } = await writer.close();
  if (written < count) throw new Error(`the archive had only ${written} events`);
  return { ms: performance.now() - started, bytes };
}

/** Events the ceilings are measured with (the first ones written). */
const CEILING_SAMPLE = 100_000;
/** About the size of one partition batch the service gets from the broker. */
const CEILING_BATCH = 1_350;

/**
 * Postgres's ceiling on this machine now: the service's own batched statements (writeGraph), one
 * transaction per batch of the size the broker hands the service, on one connection, with no
 * Kafka, decoding or positions: what the projection's SQL alone sustains.
 */
async function postgresCeiling(databaseUrl: string, schema: string, events: readonly RawEvent[]): Promise<number> {
  const dataSource = createDataSource({ url: databaseUrl, schema, poolSize: 1 }, identityMigrations);
  await dataSource.initialize();
  try {
    await migrate(dataSource);
    const graphs = [];
    for (let start = 0; start < events.length; start += CEILING_BATCH)
      graphs.push(projectEvents(events.slice(start, start + CEILING_BATCH)));
    const started = performance.now();
    for (const graph of graphs) await dataSource.transaction((transaction) => writeGraph(transaction, schema, graph, new Date(0)));
    return events.length / ((performance.now() - started) / 1000);
  } finally {
    await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await dataSource.destroy();
  }
}

interface RunSummary {
  run: number;
  readyToLagZeroSeconds: number;
  eventsPerSecond: number;
  eventsPerSecondFromFirstBatch: number;
  serviceCpuSeconds: number;
  serviceCpuMicrosecondsPerEvent: number;
  batches: number;
  batchTransactionSeconds: number;
  written: Record<string, string> | undefined;
  loadAverage: { before: number[]; after: number[] };
  samples: Array<{ t: number; applied: number; lag: number }>;
}

interface Bench {
  options: Options;
  prefix: string;
  brokers: string[];
  databaseUrl: string;
  runtime: KafkaRuntime;
  pool: Pool;
}

/** Starts the compiled service on the filled topic with a fresh schema and group, and waits for lag 0. */
async function measure(bench: Bench, run: number, id: string): Promise<RunSummary> {
  const { options, prefix, brokers, databaseUrl, runtime, pool } = bench;
  const schema = `bench_identity_${id}_${run}`;
  const group = `identity-bench-${id}-${run}`;
  const loadBefore = loadAverage();
  await runtime.provision([], [group]);
  const env: NodeJS.ProcessEnv = {
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    DATABASE_URL: databaseUrl,
    IDENTITY_DB_SCHEMA: schema,
    IDENTITY_CONSUMER_GROUP: group,
    IDENTITY_TIMELINE_RETENTION_DAYS: '36500',
    LOG_LEVEL: 'warn',
  };
  if (options.concurrency) env.IDENTITY_CONSUMER_CONCURRENCY = options.concurrency;
  if (options.pool) env.DATABASE_POOL_SIZE = options.pool;
  const profileDir = resolve(REPO_ROOT, '.cache', 'identity-bench');
  if (options.cpuProf) mkdirSync(profileDir, { recursive: true });
  const nodeArgs = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (options.semiSpaceMb) nodeArgs.push(`--max-semi-space-size=${options.semiSpaceMb}`);
  const withoutDeclaredFlags = options.semiSpaceMb === 0;
  let service: BenchService | undefined;
  try {
    service = await startBenchService({ service: 'identity', env, portVariable: 'IDENTITY_PORT', nodeArgs, withoutDeclaredFlags });
    const readyAt = performance.now();
    console.log(`\nrun ${run}: service ready after ${seconds(service.readyMs)} s (migrations, topics, consumer group join)`);

    const applied = async () => {
      const rows = await pool.query<{ applied: string | null }>(
        `SELECT sum(next_offset)::text AS applied FROM "${schema}".consumer_positions WHERE consumer_group = $1`,
        [group],
      );
      return Number(rows.rows[0]?.applied ?? 0);
    };
    const samples: Array<{ atMs: number; applied: number }> = [];
    let firstAt: number | undefined;
    console.log('   t (s)     applied         lag    events/s (last interval)');
    for (;;) {
      await new Promise((done) => setTimeout(done, 1_000));
      const now = performance.now();
      const count = await applied().catch(() => 0);
      const previous = samples[samples.length - 1];
      samples.push({ atMs: now - readyAt, applied: count });
      if (count > 0 && firstAt === undefined) firstAt = previous?.atMs ?? 0;
      const interval = previous ? (count - previous.applied) / ((now - readyAt - previous.atMs) / 1000) : count;
      if (samples.length % 5 === 0 || count >= options.events) {
        console.log(
          `${seconds(now - readyAt).padStart(8)} ${count.toLocaleString('en').padStart(11)} ${(options.events - count).toLocaleString('en').padStart(11)} ${rate(interval).padStart(11)}`,
        );
      }
      if (count >= options.events) break;
      if (now - readyAt > 30 * 60_000) throw new Error('the service did not catch up within 30 minutes');
    }
    const doneAtMs = samples[samples.length - 1]?.atMs ?? 0;
    const cpuSeconds = cpuSecondsOf(service.pid);
    const counts = await pool.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM "${schema}".links)::text AS links, (SELECT count(*) FROM "${schema}".timeline)::text AS timeline,
              (SELECT count(*) FROM "${schema}".seen_ids)::text AS ids, (SELECT count(*) FROM "${schema}".traits)::text AS traits`,
    );
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const metric = (name: string) => gaugeValue(metrics, name) ?? NaN;
    const overall = options.events / (doneAtMs / 1000);
    const steady = options.events / ((doneAtMs - (firstAt ?? 0)) / 1000);
    const summary: RunSummary = {
      run,
      readyToLagZeroSeconds: Number(seconds(doneAtMs)),
      eventsPerSecond: Math.round(overall),
      eventsPerSecondFromFirstBatch: Math.round(steady),
      serviceCpuSeconds: cpuSeconds,
      serviceCpuMicrosecondsPerEvent: Math.round((cpuSeconds * 1e6) / options.events),
      batches: metric('touchstream_identity_batch_seconds_count'),
      batchTransactionSeconds: Number(metric('touchstream_identity_batch_seconds_sum').toFixed(1)),
      written: { ...counts.rows[0], published: String(metric('touchstream_outbox_published_total')) },
      loadAverage: { before: loadBefore, after: loadAverage() },
      samples: samples.map((sample) => ({
        t: Number(seconds(sample.atMs)),
        applied: sample.applied,
        lag: options.events - sample.applied,
      })),
    };
    console.log(
      `run ${run}: lag 0 after ${seconds(doneAtMs)} s from ready: ${rate(overall)} events/s ` +
        `(${rate(steady)} events/s from the first committed batch); target ${rate(TARGET_PER_SECOND)}/s: ${overall >= TARGET_PER_SECOND ? 'met' : 'MISSED'}`,
    );
    console.log(
      `run ${run}: service CPU ${cpuSeconds.toFixed(1)} s (${summary.serviceCpuMicrosecondsPerEvent} µs per event); ` +
        `${summary.batches} batches, ${summary.batchTransactionSeconds} s inside batch transactions (summed over concurrent partitions)`,
    );
    console.log(
      `run ${run}: written ${JSON.stringify(summary.written)}; load average ${loadBefore.join(' ')} -> ${summary.loadAverage.after.join(' ')}`,
    );
    const code = await service.stop('SIGTERM');
    service = undefined;
    if (code !== 0) console.log(`run ${run}: service exited with code ${code}`);
    return summary;
  } finally {
    await service?.stop('SIGKILL');
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await runtime.deleteTopics([`${prefix}.${group}.dead-letter.v1`]).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const id = randomBytes(4).toString('hex');
  const prefix = `bench.identity-${id}`;
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/touchstream_bench';
  const logger = new Logger({ service: 'identity-bench', level: 'warn' });
  const runtime = new KafkaRuntime({ brokers, clientId: 'identity-bench', topicPrefix: prefix }, logger);
  const rawTopic = runtime.topic(TOPICS.rawEvents);
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });

  console.log(
    `identity benchmark: ${options.events.toLocaleString('en')} raw events, ${options.runs} run(s), node ${process.version}, ${cpus().length} cores, ` +
      `service: concurrency ${options.concurrency ?? 'default'}, semi-space ${options.semiSpaceMb === undefined ? 'as declared' : options.semiSpaceMb || 'Node default'} MB`,
  );
  console.log(`load average before: ${loadAverage().join(' ')}`);
  const hostBefore = measureHostSpeed();
  console.log(`before: ${describeHostSpeed(hostBefore)}`);
  try {
    await ensureDatabase(databaseUrl);
    await runtime.provision([TOPICS.rawEvents, TOPICS.identityLinks]);
    await runtime.connectProducer();
    const sample = { messages: [] as OutgoingMessage[], events: [] as RawEvent[], size: Math.min(CEILING_SAMPLE, options.events) };
    const fill = await fillRawTopic(runtime, rawTopic, options.events, sample);
    const producerRate = options.events / (fill.ms / 1000);
    console.log(
      `raw topic filled: ${rate(producerRate)} events/s (${seconds(fill.ms)} s, ${(fill.bytes / options.events).toFixed(0)} bytes/event, ` +
        `generating the archive included)`,
    );
    const ceilings = {
      brokerEventsPerSecond: Math.round(await brokerCeiling(runtime, sample.messages)),
      postgresEventsPerSecond: Math.round(await postgresCeiling(databaseUrl, `bench_identity_${id}_ceiling`, sample.events)),
    };
    sample.messages.length = 0;
    sample.events.length = 0;
    console.log(
      `ceilings now, ${rate(sample.size)} events: broker ${rate(ceilings.brokerEventsPerSecond)} events/s (pre-serialised, batched producer); ` +
        `Postgres ${rate(ceilings.postgresEventsPerSecond)} events/s (the projection's batched statements alone, one connection)`,
    );
    const bench: Bench = { options, prefix, brokers, databaseUrl, runtime, pool };
    const runs: RunSummary[] = [];
    for (let run = 1; run <= options.runs; run += 1) runs.push(await measure(bench, run, id));
    const rates = runs.map((run) => run.eventsPerSecond).sort((a, b) => a - b);
    const median = rates[Math.floor(rates.length / 2)] ?? 0;
    console.log(
      `\nevents/s per run: ${runs.map((run) => rate(run.eventsPerSecond)).join(', ')}; median ${rate(median)} ` +
        `(${Math.round((100 * median) / ceilings.postgresEventsPerSecond)}% of the Postgres ceiling, ` +
        `${Math.round((100 * median) / ceilings.brokerEventsPerSecond)}% of the broker ceiling)`,
    );
    const hostAfter = measureHostSpeed();
    console.log(`after: ${describeHostSpeed(hostAfter)}`);
    if (options.json) {
      const hostSpeedProbe = { before: hostBefore, after: hostAfter };
      writeJsonResult(options.json, {
        events: options.events,
        producerEventsPerSecond: Math.round(producerRate),
        ceilings,
        runs,
        hostSpeedProbe,
      });
    }
  } finally {
    await runtime.deleteTopics([rawTopic, runtime.topic(TOPICS.identityLinks)]).catch((error: unknown) => {
      console.log(`could not delete the bench topics: ${(error as Error).message}`);
    });
    await runtime.shutdown().catch(() => undefined);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
