/**
 * Ingest throughput on the real broker, against the ceiling that broker sets in the same run.
 *
 *   npm run bench:ingest            (builds first; KAFKA_BROKERS defaults to 127.0.0.1:19092)
 *
 * 1. Starts the compiled ingest service (services/ingest/dist/main.js) as its own process, on a
 *    unique topic prefix, and drives POST /v1/batch from this process with autocannon: realistic
 *    ~1 KB page events, 100 per request, a warm-up, then a fixed measured duration.
 * 2. Stops the service and measures the ceiling: this process producing the very same raw-topic
 *    messages (same values, keys, 100 per send, same concurrency) through libs/kafka's batching
 *    EventProducer (acks=all, idempotent) to the same broker.
 * Prints events/s, p50/p99 request latency and ingest / ceiling.
 *
 * Environment: BENCH_DURATION_S (20), BENCH_WARMUP_S (5), BENCH_CONNECTIONS (16),
 * BENCH_CPU_PROF=1 (the service writes a .cpuprofile into .tmp/ingest-prof/), BENCH_SERVICE_NODE_FLAGS
 * (extra node flags for the service process, e.g. "--max-semi-space-size=64").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '@touchstream/bench';
import { TOPICS } from '@touchstream/contracts';
import { KafkaRuntime, type OutgoingMessage } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { admitEvents } from '../src/domain/admit';

const ROOT = resolve(__dirname, '..', '..', '..');
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 20);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const EVENTS_PER_REQUEST = 100;
const POOL_REQUESTS = 64;
const WRITE_KEY = 'bench-write-key';
const logger = new Logger({ service: 'bench', level: 'warn' });

const log = (line: string) => process.stdout.write(`${line}\n`);

/** A page view as analytics.js sends it: about 1 KB of JSON. */
function pageEvent(n: number, run: string): Record<string, unknown> {
  const anonymousId = randomUUID();
  const path = `/blog/${['pricing', 'how-attribution-works', 'segment-webhooks', 'first-touch-vs-last-touch'][n % 4]}`;
  const search = `?utm_source=${['google', 'newsletter', 'linkedin', 'partner'][n % 4]}&utm_medium=cpc&utm_campaign=spring-${n % 17}`;
  const url = `https://www.example.com${path}${search}`;
  return {
    type: 'page',
    messageId: `${run}-${n}-${randomBytes(6).toString('hex')}`,
    anonymousId,
    userId: n % 5 === 0 ? `user-${n % 9973}` : null,
    timestamp: new Date(Date.now() - (n % 1000)).toISOString(),
    originalTimestamp: new Date(Date.now() - (n % 1000)).toISOString(),
    name: 'Blog Post',
    category: 'Content',
    properties: { path, referrer: 'https://www.google.com/', search, title: 'How first-touch attribution works | Example', url },
    context: {
      ip: `203.0.113.${n % 250}`,
      locale: 'en-US',
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
      library: { name: 'analytics.js', version: 'next-1.70.0' },
      page: { path, referrer: 'https://www.google.com/', search, title: 'How first-touch attribution works | Example', url },
      campaign: { source: 'google', medium: 'cpc', name: `spring-${n % 17}` },
    },
    integrations: {},
  };
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`ingest exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${url}/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`ingest did not become ready:\n${output()}`);
}

async function startIngest(topicPrefix: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const profile = process.env.BENCH_CPU_PROF === '1';
  const profileDir = resolve(ROOT, '.tmp', 'ingest-prof');
  if (profile) mkdirSync(profileDir, { recursive: true });
  const nodeFlags = (process.env.BENCH_SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const args = [
    ...nodeFlags,
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    resolve(ROOT, 'services/ingest/dist/main.js'),
  ];
  let output = '';
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: BROKERS,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      INGEST_PORT: String(port),
      HOST: '127.0.0.1',
      INGEST_WRITE_KEYS: WRITE_KEY,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, child, () => output);
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** Events accepted so far and CPU seconds the service process used so far, from its /metrics. */
async function serviceCounters(url: string): Promise<{ accepted: number; cpuSeconds: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    accepted: Number(/^touchstream_ingest_events_accepted_total\{source="api"\} (\d+)/m.exec(text)?.[1] ?? 0),
    cpuSeconds: Number(/^process_cpu_seconds_total ([\d.e+-]+)/m.exec(text)?.[1] ?? Number.NaN),
  };
}

function drive(url: string, bodies: string[], seconds: number): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url: `${url}/v1/batch`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
    requests: [
      {
        setupRequest: (request) => {
          next = (next + 1) % bodies.length;
          return { ...request, body: bodies[next] };
        },
      },
    ],
  });
}

/** The same messages, sent straight through the batching producer by as many concurrent callers. */
async function ceiling(
  batches: OutgoingMessage[][],
  seconds: number,
): Promise<{ eventsPerSecond: number; eventsPerCpuSecond: number; sendP50: number; sendP99: number }> {
  const topicPrefix = `bench.ceiling${randomBytes(4).toString('hex')}`;
  const runtime = new KafkaRuntime({ brokers: BROKERS.split(','), clientId: 'bench-ceiling', topicPrefix }, logger);
  await runtime.provision([TOPICS.rawEvents]);
  await runtime.connectProducer();
  const topic = runtime.topic(TOPICS.rawEvents);
  const run = async (untilMs: number, durations: number[]) => {
    let sent = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (Date.now() < untilMs) {
          next = (next + 1) % batches.length;
          const started = performance.now();
          await runtime.producer.send(topic, batches[next] as OutgoingMessage[]);
          durations.push(performance.now() - started);
          sent += EVENTS_PER_REQUEST;
        }
      }),
    );
    return sent;
  };
  await run(Date.now() + WARMUP_S * 1000, []);
  const durations: number[] = [];
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const sent = await run(started + seconds * 1000, durations);
  const elapsed = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // The raw topic keeps everything forever: a benchmark's topics go when it is done.
  await runtime.deleteTopics([topic]);
  await runtime.shutdown();
  durations.sort((a, b) => a - b);
  const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? Number.NaN;
  return {
    eventsPerSecond: sent / elapsed,
    eventsPerCpuSecond: sent / ((cpu.user + cpu.system) / 1e6),
    sendP50: at(0.5),
    sendP99: at(0.99),
  };
}

async function deleteBenchTopics(topicPrefix: string): Promise<void> {
  const runtime = new KafkaRuntime({ brokers: BROKERS.split(','), clientId: 'bench-cleanup', topicPrefix }, logger);
  await runtime.deleteTopics([runtime.topic(TOPICS.rawEvents), runtime.topic(TOPICS.rejectedEvents)]);
}

async function main(): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const candidates = Array.from({ length: POOL_REQUESTS }, (_, request) =>
    Array.from({ length: EVENTS_PER_REQUEST }, (_, i) => pageEvent(request * EVENTS_PER_REQUEST + i, run)),
  );
  const bodies = candidates.map((batch) => JSON.stringify({ batch }));
  const eventBytes = Buffer.byteLength(JSON.stringify(candidates[0]?.[0]));
  log(`ingest bench: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}, broker ${BROKERS}`);
  log(
    `  ${EVENTS_PER_REQUEST} page events per request (~${eventBytes} B each, ~${Math.round(Buffer.byteLength(bodies[0] ?? '') / 1024)} KB per body), ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s measured`,
  );

  const ingestPrefix = `bench.ingest${run}`;
  const ingest = await startIngest(ingestPrefix);
  let measured: autocannon.Result;
  let accepted: number;
  let cpuSeconds: number;
  let driverCores = Number.NaN;
  const loadBefore = loadavg()[0] ?? Number.NaN;
  try {
    await drive(ingest.url, bodies, WARMUP_S);
    const before = await serviceCounters(ingest.url);
    const driverCpu = process.cpuUsage();
    measured = await drive(ingest.url, bodies, DURATION_S);
    const driverUsed = process.cpuUsage(driverCpu);
    driverCores = (driverUsed.user + driverUsed.system) / 1e6 / measured.duration;
    const after = await serviceCounters(ingest.url);
    accepted = after.accepted - before.accepted;
    cpuSeconds = after.cpuSeconds - before.cpuSeconds;
  } finally {
    await ingest.stop();
  }
  const ok = measured.requests.total - measured.non2xx - measured.errors - measured.timeouts;
  const ingestRate = accepted / measured.duration;

  // The exact messages ingest produced for these bodies (same values and keys).
  const receivedAt = new Date();
  const batches = candidates.map(
    (batch) => admitEvents(batch, { source: 'api', receivedAt, limits: { maxEventBytes: 32_768, maxBatchEvents: 2_500 } }).accepted,
  );
  await deleteBenchTopics(ingestPrefix);
  const raw = await ceiling(batches, DURATION_S);

  const round = (value: number) => Math.round(value).toLocaleString('en-US');
  log('');
  log(
    `ingest:  ${round(ingestRate)} events/s accepted (acks=all) | ${ok} requests 2xx, ${measured.non2xx} non-2xx, ${measured.errors} errors, ${measured.timeouts} timeouts`,
  );
  log(
    `         request latency p50 ${measured.latency.p50} ms, p99 ${measured.latency.p99} ms (${round(measured.requests.average)} req/s)`,
  );
  log(
    `ceiling: ${round(raw.eventsPerSecond)} events/s through EventProducer, send p50 ${raw.sendP50.toFixed(1)} ms, p99 ${raw.sendP99.toFixed(1)} ms`,
  );
  log(`ratio:   ${(ingestRate / raw.eventsPerSecond).toFixed(2)}`);
  // The machine is shared: the CPU cost of an event does not depend on how much CPU others left.
  const ingestPerCpu = accepted / cpuSeconds;
  const cpuRatio = ingestPerCpu / raw.eventsPerCpuSecond;
  log(
    `per CPU-second: ingest ${round(ingestPerCpu)} events (service used ${(cpuSeconds / measured.duration).toFixed(2)} cores), ceiling ${round(raw.eventsPerCpuSecond)} events, ratio ${cpuRatio.toFixed(2)}`,
  );
  log(
    `machine: load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? Number.NaN).toFixed(1)} after; autocannon used ${driverCores.toFixed(2)} cores`,
  );
  log('');
  log(
    `| ${new Date().toISOString().slice(0, 16)} | ${round(ingestRate)} | ${measured.latency.p50} | ${measured.latency.p99} | ${round(raw.eventsPerSecond)} | ${(ingestRate / raw.eventsPerSecond).toFixed(2)} | ${round(ingestPerCpu)} | ${round(raw.eventsPerCpuSecond)} | ${cpuRatio.toFixed(2)} | ${loadBefore.toFixed(1)} | ${measured.non2xx + measured.errors} |`,
  );
  if (measured.non2xx + measured.errors + measured.timeouts > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
