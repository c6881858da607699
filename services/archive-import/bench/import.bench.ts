/**
 * npm run bench:import
 *
 * Imports a generated archive of over 1,000,000 events into a fresh topic prefix on the real
 * broker (the compiled CLI as a child process, as users run it) and reports records/s and peak
 * memory, beside the raw producer ceiling measured in the same run: the same events,
 * pre-serialised, sent in the same batch sizes through libs/kafka's producer.
 *
 * BENCH_WORKERS=<n> passes --workers; BENCH_BATCH=<n> sets the batch size (default 2000).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { BENCH_CACHE, ensureArchive, runScript, sampleHighWater } from '@touchstream/bench';
import { TOPICS } from '@touchstream/contracts';
import { KafkaRuntime, type OutgoingMessage } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { LineSplitter } from '../src/formats/ndjson';
import { processRecords } from '../src/pipeline/process-records';
import { splitByBytes } from '../src/pipeline/sink';
import type { RunSummary } from '../src/summary';

const USERS = 115_000;
const DAYS = 90;
const SEED = 'bench';
const MIN_EVENTS = 1_000_000;
const BATCH = Number(process.env.BENCH_BATCH ?? 2_000);
const WORKERS = process.env.BENCH_WORKERS;
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const fmt = (value: number) => Math.round(value).toLocaleString('en-US');

async function importRun(prefix: string, archive: string) {
  const args = [
    'services/archive-import/dist/import.cli.js',
    archive,
    '--no-checkpoint',
    '--progress',
    'none',
    '--json',
    '--batch-size',
    String(BATCH),
  ];
  if (WORKERS !== undefined) args.push('--workers', WORKERS);
  let sampler: { stop: () => number } | undefined;
  const started = performance.now();
  const result = await runScript(
    args[0] as string,
    args.slice(1),
    { KAFKA_BROKERS: BROKERS, KAFKA_TOPIC_PREFIX: prefix },
    (pid) => (sampler = sampleHighWater(pid)),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const sampledPeak = sampler?.stop() ?? 0;
  if (result.code !== 0) throw new Error(`import exited with ${result.code}: ${result.stderr}`);
  const summary = JSON.parse(result.stdout.trim()) as RunSummary;
  return { summary, wallSeconds, sampledPeak };
}

/** The same events as the raw topic gets them, serialised up front, kept as Buffers. */
async function preSerialise(archive: string): Promise<OutgoingMessage[]> {
  const messages: OutgoingMessage[] = [];
  const splitter = new LineSplitter();
  const context = { channel: archive, now: new Date(), window: {} };
  const take = (records: ReturnType<LineSplitter['push']>) => {
    for (const message of processRecords(records, context).accepted) messages.push({ ...message, value: Buffer.from(message.value) });
  };
  for await (const chunk of createReadStream(archive).pipe(createGunzip())) take(splitter.push(chunk as Buffer));
  take(splitter.end());
  return messages;
}

async function ceilingRun(prefix: string, messages: readonly OutgoingMessage[]) {
  const logger = new Logger({ service: 'bench', level: 'warn', sink: process.stderr });
  const runtime = new KafkaRuntime({ brokers: BROKERS.split(','), clientId: 'bench-ceiling', topicPrefix: prefix }, logger);
  await runtime.provision([TOPICS.rawEvents]);
  await runtime.connectProducer();
  const topic = runtime.topic(TOPICS.rawEvents);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let at = 0; at < messages.length; at += BATCH) {
    // Exactly what the importer does per batch: cut under the byte bound, send all, await acks.
    await Promise.all(splitByBytes(messages.slice(at, at + BATCH)).map((part) => runtime.producer.send(topic, part)));
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await runtime.shutdown();
  return { seconds, cpuMs: (used.user + used.system) / 1000 };
}

async function dropTopics(prefixes: string[]): Promise<void> {
  const runtime = new KafkaRuntime(
    { brokers: BROKERS.split(','), clientId: 'bench-cleanup' },
    new Logger({ service: 'bench', level: 'error', sink: process.stderr }),
  );
  await runtime.deleteTopics(
    prefixes.flatMap((prefix) => [`${prefix}.${TOPICS.rawEvents.name}`, `${prefix}.${TOPICS.rejectedEvents.name}`]),
  );
}

async function main(): Promise<void> {
  const { path: archive, events } = await ensureArchive({ users: USERS, days: DAYS, seed: SEED }, log);
  if (events < MIN_EVENTS) throw new Error(`the archive has ${events} events, fewer than ${MIN_EVENTS}`);
  const id = randomBytes(4).toString('hex');
  const importPrefix = `bench.import-${id}`;
  const ceilingPrefix = `bench.ceiling-${id}`;
  const loadBefore = loadavg()[0] ?? 0;
  log(`importing ${fmt(events)} events (${archive}) into ${importPrefix}.*`);
  const imported = await importRun(importPrefix, archive);
  if (imported.summary.totals.imported !== events) throw new Error(`imported ${imported.summary.totals.imported} of ${events}`);
  log('pre-serialising the same events for the producer ceiling');
  const messages = await preSerialise(archive);
  log(`sending ${fmt(messages.length)} pre-serialised messages into ${ceilingPrefix}.*`);
  const ceiling = await ceilingRun(ceilingPrefix, messages);
  const loadAfter = loadavg()[0] ?? 0;
  await dropTopics([importPrefix, ceilingPrefix]).catch((error: unknown) =>
    log(`could not delete the bench topics: ${(error as Error).message}`),
  );

  const importRate = events / (imported.summary.durationMs / 1000);
  const ceilingRate = messages.length / ceiling.seconds;
  const result = {
    at: new Date().toISOString(),
    events,
    batch: BATCH,
    workers: WORKERS ?? 'default',
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '?', memoryGb: Math.round(totalmem() / 2 ** 30), loadBefore, loadAfter },
    import: {
      recordsPerSecond: Math.round(importRate),
      endToEndRecordsPerSecond: Math.round(events / imported.wallSeconds),
      seconds: imported.summary.durationMs / 1000,
      wallSeconds: imported.wallSeconds,
      cpuSeconds: imported.summary.cpuMs / 1000,
      peakRssMb: Math.round(Math.max(imported.sampledPeak, imported.summary.maxRssBytes) / 2 ** 20),
    },
    ceiling: { recordsPerSecond: Math.round(ceilingRate), seconds: ceiling.seconds, cpuSeconds: ceiling.cpuMs / 1000 },
    importShareOfCeiling: Number((importRate / ceilingRate).toFixed(2)),
  };
  await appendFile(join(BENCH_CACHE, 'import-results.ndjson'), `${JSON.stringify(result)}\n`);
  process.stdout.write(
    [
      `archive: ${fmt(events)} events, batch ${BATCH}, workers ${result.workers}; ${result.machine.cpus} x ${result.machine.model}, load ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}`,
      `import:   ${fmt(importRate)} records/s (${result.import.seconds.toFixed(1)} s; ${fmt(result.import.endToEndRecordsPerSecond)} records/s counting process start), peak RSS ${result.import.peakRssMb} MB, CPU ${result.import.cpuSeconds.toFixed(1)} s`,
      `ceiling:  ${fmt(ceilingRate)} records/s (${ceiling.seconds.toFixed(1)} s, CPU ${result.ceiling.cpuSeconds.toFixed(1)} s): raw producer, pre-serialised, same batches`,
      `import / ceiling: ${result.importShareOfCeiling}`,
      `targets: >= 50,000 records/s ${importRate >= 50_000 ? 'met' : 'NOT met'}; < 300 MB ${result.import.peakRssMb < 300 ? 'met' : 'NOT met'}`,
    ].join('\n') + '\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
