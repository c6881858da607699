// Benchmark, not a test: `npm run bench:pipeline` (builds first; runs from source with tsx, the
// services and the importer from their compiled dist/, as in production).
//
// One run measures the whole pipeline on the real broker and Postgres:
// 0. The raw broker ceiling now: the archive's first 100,000 events (--ceiling-sample), serialised
//    as the importer writes them, through libs/kafka's batching producer into a throw-away topic.
// 1. Backfill: starts the four compiled services (ingest, identity, attribution, segment-sink;
//    `node dist/main.js` with their declared Node flags and default settings, as `npm start` runs them) on a fresh topic prefix,
//    fresh schemas and consumer groups, the sink posting to a local Segment receiver (tools/testing's,
//    which enforces Segment's limits and answers at once). Then imports a generated archive of at
//    least --events events (default 1,000,000: bench:import's archive, libs/synthetic-data, fixed
//    seed, cached in .cache/bench) with the compiled importer CLI as its own process, and waits
//    until the pipeline has drained. Sampled every second: each consumer group's lag, the two
//    outboxes, the distinct messageIds delivered and each service's RSS.
//    Then reads back every fact attribution published and works out, with the sink's own
//    decision rules, every Source Identified track and final identify the receiver must have had;
//    end to end = from the importer's start to the arrival of the last of them, counted by
//    distinct messageId.
// 2. Live: page views of new visitors into ingest at --live-rate per second for --live-seconds
//    (Tracking API and webhook alternating, open loop over --live-connections keep-alive
//    connections), and per event the time from when its request was due to the arrival at the
//    receiver of the batch carrying its Source Identified track: p50/p99.
// 3. Reports peak RSS (VmHWM) and CPU per service and the load average before and after; stops
//    the services and deletes the topics and schemas it created (consumer groups are left to the
//    broker's offset retention: libs/kafka has no call to delete them).
//
// Options: --events=N (default 1,000,000)  --live-rate=N (200)  --live-seconds=N (30)  --live-connections=N (256)
//          --ceiling-sample=N (100,000)  --timeout-minutes=N (backfill, 120)  --json=FILE
// Environment: KAFKA_BROKERS (default 127.0.0.1:19092), DATABASE_URL (default the local server,
// database touchstream_bench).
//
// The machine is shared (2 cores: the broker, Postgres, four services, the importer, this process
// with the receiver, and other engineers' work): compare runs side by side with their load averages.

import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import {
  brokerCeiling,
  count,
  describeHostSpeed,
  loadAverage,
  machine,
  measureHostSpeed,
  optionValue,
  positiveIntegerOption,
  rate,
  runScript,
  sampleHighWater,
  seconds,
  until,
  writeJsonResult,
} from '@touchstream/bench';
import { ensureDatabase } from '@touchstream/database';
import { KafkaRuntime } from '@touchstream/kafka';
import { REPO_ROOT } from '@touchstream/local-infra';
import { Logger } from '@touchstream/logging';
import type { startSegmentReceiver as StartSegmentReceiver } from '@touchstream/testing';
import { ARCHIVE_DAYS, ARCHIVE_SEED, archiveFor, archiveMessages } from './archive-sample';
import { BenchPipeline } from './bench-pipeline';
import { DeliveryCounter } from './delivery-counter';
import { checkDelivery, expectedCalls } from './expected-calls';
import { liveLoad } from './live-load';
import { StageSampler } from './stage-sampler';
import { summariseStages } from './stage-summary';

const TARGET_EVENTS_PER_SECOND = 10_000;
const TARGET_LIVE_P99_MS = 2_000;
const SEGMENT_WRITE_KEY = 'bench-segment-write-key';

interface ImportSummary {
  totals: { records: number; imported: number; rejected: number };
  durationMs: number;
  recordsPerSecond: number;
  maxRssBytes: number;
  cpuMs: number;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

function parseOptions(argv: readonly string[]) {
  return {
    events: positiveIntegerOption(argv, 'events', 1_000_000),
    liveRate: positiveIntegerOption(argv, 'live-rate', 200),
    liveSeconds: positiveIntegerOption(argv, 'live-seconds', 30),
    liveConnections: positiveIntegerOption(argv, 'live-connections', 256),
    ceilingSample: positiveIntegerOption(argv, 'ceiling-sample', 100_000),
    timeoutMinutes: positiveIntegerOption(argv, 'timeout-minutes', 120),
    json: optionValue(argv, 'json'),
  };
}

/** tools/testing's index loads vitest, which a plain script cannot: the receiver module alone, compiled. */
async function loadSegmentReceiver(): Promise<typeof StartSegmentReceiver> {
  const module = (await import(resolve(REPO_ROOT, 'tools/testing/dist/segment-receiver.js'))) as {
    startSegmentReceiver: typeof StartSegmentReceiver;
  };
  return module.startSegmentReceiver;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const id = randomBytes(4).toString('hex');
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/touchstream_bench';
  const before = machine();
  log(
    `pipeline benchmark: at least ${count(options.events)} events, then ${options.liveRate}/s live for ${options.liveSeconds} s; ` +
      `node ${before.node}, ${before.cores} cores (${before.cpuModel}); load average before ${before.loadAverage.join(' ')}`,
  );
  const hostBefore = measureHostSpeed();
  log(`before: ${describeHostSpeed(hostBefore)}`);

  await ensureDatabase(databaseUrl);
  const archive = await archiveFor(options.events, log);
  log(`archive: ${count(archive.events)} events of ${count(archive.users)} people (${archive.path})`);

  const startSegmentReceiver = await loadSegmentReceiver();
  const receiver = await startSegmentReceiver({ writeKey: SEGMENT_WRITE_KEY, record: 'ids' });
  const pipeline = new BenchPipeline({ id, brokers, databaseUrl, segmentUrl: receiver.url, segmentWriteKey: SEGMENT_WRITE_KEY });
  const runtime = new KafkaRuntime(
    { brokers: brokers.split(','), clientId: 'pipeline-bench', topicPrefix: pipeline.prefix },
    new Logger({ service: 'pipeline-bench', level: 'warn' }),
  );
  const database = new Pool({ connectionString: databaseUrl, max: 2 });
  const delivered = new DeliveryCounter(receiver);
  const sampler = new StageSampler(runtime, database, pipeline, delivered, log);
  const verifyGroup = `bench-pipeline-${id}-verify`;

  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await sampler.stop();
      for (const problem of await pipeline.stop()) log(`WARNING: ${problem}`);
      await receiver.close();
      await runtime
        .deleteTopics([...pipeline.topics([verifyGroup]), `${pipeline.prefix}.ceiling.v1`])
        .catch((error: unknown) => log(`could not delete the bench topics: ${(error as Error).message}`));
      for (const schema of Object.values(pipeline.schemas))
        await database.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => log(`could not drop schema ${schema}`));
      await runtime.shutdown().catch(() => undefined);
      await database.end();
      log(`cleaned up: topics ${pipeline.prefix}.*, schemas bench_pipeline_${id}_*`);
    })());
  process.once('SIGINT', () => {
    log('interrupted: stopping the services and deleting the topics and schemas');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    await runtime.connectProducer();
    const sample = await archiveMessages(archive.path, Math.min(options.ceilingSample, archive.events));
    const ceilingPerSecond = await brokerCeiling(runtime, sample);
    log(
      `raw broker ceiling now: ${rate(ceilingPerSecond)} events/s (${count(sample.length)} events as the importer writes them, batching producer)`,
    );
    sample.length = 0;

    log('\nstarting the services');
    await pipeline.start(log);

    const loadAtImport = loadAverage();
    const benchCpu = process.cpuUsage();
    const importStartedAt = Date.now();
    log(`\nimporting (load average ${loadAtImport.join(' ')})`);
    sampler.start(performance.now());
    let importerPeak: ReturnType<typeof sampleHighWater> | undefined;
    const imported = await runScript(
      'services/archive-import/dist/import.cli.js',
      [archive.path, '--no-checkpoint', '--progress', 'none', '--json'],
      { KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: pipeline.prefix, LOG_LEVEL: 'warn' },
      (pid) => (importerPeak = sampleHighWater(pid)),
    );
    const importerPeakBytes = importerPeak?.stop() ?? 0;
    if (imported.code !== 0) throw new Error(`the importer exited with ${imported.code}: ${imported.stderr}`);
    const importSummary = JSON.parse(imported.stdout.trim()) as ImportSummary;
    const importEndedT = (Date.now() - importStartedAt) / 1000;
    log(
      `import done after ${importEndedT.toFixed(1)} s: ${count(importSummary.totals.imported)} events imported, ${importSummary.totals.rejected} rejected, ` +
        `${rate(importSummary.recordsPerSecond)} records/s while the pipeline consumed alongside`,
    );

    const drainedSample = await until(
      () => {
        const latest = sampler.latest();
        return latest && latest.t > importEndedT && StageSampler.drained(latest) ? latest : undefined;
      },
      options.timeoutMinutes * 60_000,
      'the pipeline to drain',
      250,
    );
    const benchCpuUsed = process.cpuUsage(benchCpu);
    const benchCpuSeconds = (benchCpuUsed.user + benchCpuUsed.system) / 1e6;
    const loadAtDrain = loadAverage();
    sampler.print(drainedSample);
    log(`drained at ${drainedSample.t.toFixed(1)} s (every group at the end of its topics, outboxes empty); reading the facts back`);

    const deadLetters = await pipeline.deadLetters(runtime);
    if (Object.values(deadLetters).some((n) => n > 0)) log(`WARNING: dead letters ${JSON.stringify(deadLetters)}`);
    const expected = await expectedCalls(runtime, verifyGroup);
    const check = checkDelivery(receiver.requests(), expected);
    const endToEndSeconds = (check.completedAt - importStartedAt) / 1000;
    const events = importSummary.totals.imported;
    const endToEndPerSecond = events / endToEndSeconds;
    const stages = summariseStages(sampler.samples, 0, drainedSample.t);
    log(
      `delivered: ${count(check.deliveredTracks)} of ${count(check.expectedTracks)} tracks and ${count(check.deliveredIdentifies)} of ` +
        `${count(check.expectedIdentifies)} final identifies (distinct messageIds; ${count(check.acceptedEvents)} accepted events, ` +
        `${count(check.distinctMessageIds)} distinct, ${count(check.supersededIdentifies)} identifies of earlier versions, ` +
        `${check.extraTracks} tracks of touches withdrawn later, ${check.unknown} unknown, ${check.refusedRequests} refused requests)`,
    );
    if (check.missingTracks + check.missingIdentifies > 0)
      log(`WARNING: ${check.missingTracks} tracks and ${check.missingIdentifies} identifies never arrived`);

    log('');
    const liveStartedT = (Date.now() - importStartedAt) / 1000;
    const live = await liveLoad({
      ingestUrl: pipeline.url('ingest'),
      writeKey: pipeline.ingestWriteKey,
      ratePerSecond: options.liveRate,
      durationSeconds: options.liveSeconds,
      connections: options.liveConnections,
      runId: id,
      delivered,
      settleTimeoutMs: 120_000,
      log,
    });
    const liveEndedT = (Date.now() - importStartedAt) / 1000;
    await pipeline.memory();
    const peakRss = pipeline.peakRssBytes();
    const cpuSeconds = pipeline.cpuSeconds();
    const loadAfter = loadAverage();
    const hostAfter = measureHostSpeed();

    const result = {
      at: new Date().toISOString(),
      command: `npm run bench:pipeline -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: {
        ...before,
        loadAverage: { before: before.loadAverage, atImport: loadAtImport, atDrain: loadAtDrain, after: loadAfter },
        hostSpeedProbe: { before: hostBefore, after: hostAfter },
      },
      archive: { path: archive.path, events: archive.events, people: archive.users, days: ARCHIVE_DAYS, seed: ARCHIVE_SEED },
      rawBrokerCeilingEventsPerSecond: Math.round(ceilingPerSecond),
      import: {
        imported: events,
        rejected: importSummary.totals.rejected,
        seconds: Number(importEndedT.toFixed(1)),
        recordsPerSecond: Math.round(importSummary.recordsPerSecond),
        peakRssMb: mb(Math.max(importerPeakBytes, importSummary.maxRssBytes)),
        cpuSeconds: Number((importSummary.cpuMs / 1000).toFixed(1)),
      },
      backfill: {
        endToEndSeconds: Number(endToEndSeconds.toFixed(1)),
        endToEndEventsPerSecond: Math.round(endToEndPerSecond),
        shareOfBrokerCeiling: Number((endToEndPerSecond / ceilingPerSecond).toFixed(3)),
        drainedAtSeconds: drainedSample.t,
        delivery: check,
        deadLetters,
        factsRead: expected.read,
        stages,
        benchProcessCpuSeconds: Number(benchCpuSeconds.toFixed(1)),
      },
      live,
      services: { peakRssMb: Object.fromEntries(Object.entries(peakRss).map(([name, bytes]) => [name, mb(bytes)])), cpuSeconds },
      targets: {
        endToEndEventsPerSecond: { target: TARGET_EVENTS_PER_SECOND, met: endToEndPerSecond >= TARGET_EVENTS_PER_SECOND },
        liveP99Ms: { target: TARGET_LIVE_P99_MS, met: live.missing === 0 && live.endToEndMs.p99 < TARGET_LIVE_P99_MS },
      },
      /** When each phase ended or began, in the samples' time (seconds since the import started). */
      phases: {
        importEnded: Number(importEndedT.toFixed(1)),
        drained: drainedSample.t,
        liveStarted: Number(liveStartedT.toFixed(1)),
        liveEnded: Number(liveEndedT.toFixed(1)),
      },
      samples: sampler.samples,
    };

    log(`\n=== pipeline benchmark (${count(events)} events; node ${before.node}, ${before.cores} cores) ===`);
    log(
      `end to end: ${rate(endToEndPerSecond)} events/s (${seconds(endToEndSeconds * 1000)} s from the importer's start to the last expected call at the receiver); ` +
        `target ${rate(TARGET_EVENTS_PER_SECOND)}: ${result.targets.endToEndEventsPerSecond.met ? 'met' : 'NOT met'}`,
    );
    log(
      `raw broker ceiling in this run: ${rate(ceilingPerSecond)} events/s (end to end = ${(result.backfill.shareOfBrokerCeiling * 100).toFixed(1)}% of it); ` +
        `import alone ${rate(importSummary.recordsPerSecond)} records/s, ${importEndedT.toFixed(1)} s`,
    );
    log(
      `delivered ${count(check.deliveredTracks + check.deliveredIdentifies)} of ${count(check.expected)} expected calls ` +
        `(${count(check.expectedTracks)} tracks, ${count(check.expectedIdentifies)} identifies)`,
    );
    log('lag per stage (messages; seconds since the import started):');
    for (const [stage, summary] of Object.entries(stages))
      log(
        `  ${stage.padEnd(12)} peak ${count(summary.peak).padStart(10)} at ${summary.peakAt.toFixed(0).padStart(5)} s, mean ${count(summary.mean).padStart(10)}, ` +
          `caught up at ${summary.caughtUpAt === null ? '-' : `${summary.caughtUpAt.toFixed(0)} s`}${summary.unanswered ? ` (${summary.unanswered} samples unanswered)` : ''}`,
      );
    log(
      `live (${live.ratePerSecond}/s for ${live.durationSeconds} s over ${live.connections} connections; sent ${count(live.sent)}, skipped ${live.skipped}, HTTP ${JSON.stringify(live.statuses)}, ` +
        `achieved ${live.achievedPerSecond}/s): request -> Source Identified track at the receiver p50 ${live.endToEndMs.p50} ms, ` +
        `p90 ${live.endToEndMs.p90} ms, p99 ${live.endToEndMs.p99} ms, max ${live.endToEndMs.max} ms; ${live.missing} missing; ` +
        `target p99 < ${TARGET_LIVE_P99_MS} ms: ${result.targets.liveP99Ms.met ? 'met' : 'NOT met'}`,
    );
    log(
      `  HTTP answer p50 ${live.httpMs.p50} ms, p99 ${live.httpMs.p99} ms` +
        (Object.keys(live.errors).length > 0 ? `; no answer: ${JSON.stringify(live.errors)}` : ''),
    );
    log(
      `peak RSS (MB): ${Object.entries(result.services.peakRssMb)
        .map(([name, value]) => `${name} ${value}`)
        .join(', ')}, importer ${result.import.peakRssMb}`,
    );
    log(
      `CPU (s): ${Object.entries(cpuSeconds)
        .map(([name, value]) => `${name} ${value.toFixed(1)}`)
        .join(
          ', ',
        )}, importer ${result.import.cpuSeconds}, this process (receiver, sampling) during the backfill ${result.backfill.benchProcessCpuSeconds}`,
    );
    log(
      `load average: before ${before.loadAverage.join(' ')}, at import ${loadAtImport.join(' ')}, drained ${loadAtDrain.join(' ')}, after ${loadAfter.join(' ')}; ` +
        `after: ${describeHostSpeed(hostAfter)}`,
    );
    if (options.json) {
      writeJsonResult(options.json, result);
      log(`written ${options.json}`);
    }
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
