// Benchmark, not a test: `npm run bench:transport` (builds first). How fast the pipeline's Kafka
// traffic alone moves on this machine: the ceiling of `bench:pipeline`'s end-to-end rate that no
// service code, Postgres or Segment call can raise.
//
// Four processes on fresh topics (6 partitions each, as provisioned by the services), with the
// services' Node flags, libs/kafka's consumer and producer and the services' consumer concurrency:
//   source       the archive's events as the importer writes them (bench:pipeline's archive,
//                serialised before the clock starts), written with the benchmarks' topic writer;
//   identity     consumes them and produces 0.089 links per raw event (511 bytes);
//   attribution  consumes the raw events and the links, produces 0.292 touches (1,098 bytes) and
//                0.228 user-sources facts (2,064 bytes) per raw event;
//   sink         consumes both fact topics.
// The ratios and sizes are the attribution benchmark's (transport-shape.ts); no stage parses a
// value or touches Postgres, and a stage produces its messages before it commits the batch. The
// clock runs from the source's first write until every group has committed every message. CPU
// seconds per process (and the broker's, when the project's broker runs here) are read from /proc.
//
// Options: --events=N (default 1,000,000)  --json=FILE  Environment: KAFKA_BROKERS (127.0.0.1:19092)

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  count,
  cpuSecondsOf,
  describeHostSpeed,
  loadAverage,
  machine,
  measureHostSpeed,
  optionValue,
  positiveIntegerOption,
  rate,
  seconds,
  until,
  writeJsonResult,
} from '@touchstream/bench';
import { TOPICS } from '@touchstream/contracts';
import { KafkaRuntime } from '@touchstream/kafka';
import { REPO_ROOT, serviceNodeFlags } from '@touchstream/local-infra';
import { Logger } from '@touchstream/logging';
import { archiveFor } from './archive-sample';

const log = (line: string) => process.stdout.write(`${line}\n`);
const ROLES = ['identity', 'attribution', 'sink', 'source'] as const;
type Role = (typeof ROLES)[number];
const FLAGS_OF: Record<Role, string> = { identity: 'identity', attribution: 'attribution', sink: 'segment-sink', source: 'archive-import' };

interface Expected {
  raw: number;
  link: number;
  touch: number;
  userSources: number;
}

interface Stage {
  role: Role;
  child: ChildProcess;
  lines: unknown[];
  exited: Promise<number | null>;
}

function startStage(role: Role, args: string[]): Stage {
  const child = spawn(
    process.execPath,
    [...serviceNodeFlags(FLAGS_OF[role]), '--import', 'tsx', join(REPO_ROOT, 'e2e/bench/transport-stage.ts'), role, ...args],
    { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines: unknown[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line));
    } catch {
      log(`[${role}] ${line}`);
    }
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { role, child, lines, exited };
}

function lineOf<T>(stage: Stage, key: string): T | undefined {
  const found = stage.lines.find((line) => typeof line === 'object' && line !== null && key in line) as Record<string, T> | undefined;
  return found?.[key];
}

/** The broker the project's script started on this port, if it runs here (its CPU is part of the cost). */
function brokerPid(brokers: string): number | undefined {
  const port = brokers.split(',')[0]?.split(':')[1];
  const file = join(REPO_ROOT, '.cache', 'kafka', `run-${port}`, 'broker.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && cpuSecondsOf(pid) > 0 ? pid : undefined;
}

async function committed(runtime: KafkaRuntime, group: string, topics: string[]): Promise<number> {
  const partitions = await runtime.lag(
    group,
    topics.map((topic) => runtime.topic(topic)),
  );
  return partitions.reduce((sum, partition) => sum + partition.committed, 0);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const events = positiveIntegerOption(argv, 'events', 1_000_000);
  const json = optionValue(argv, 'json');
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const prefix = `bench.transport-${randomBytes(4).toString('hex')}`;
  const hostBefore = measureHostSpeed();
  log(
    `transport floor: ${count(events)} events, topic prefix ${prefix}; ${describeHostSpeed(hostBefore)}; load ${loadAverage().join(' ')}`,
  );

  // bench:pipeline's archive: the same events.
  const archive = await archiveFor(events, log);
  const runtime = new KafkaRuntime(
    { brokers: brokers.split(','), clientId: 'transport-bench', topicPrefix: prefix },
    new Logger({ service: 'bench', level: 'warn' }),
  );
  const topics = [TOPICS.rawEvents, TOPICS.identityLinks, TOPICS.touches, TOPICS.userSources].map((spec) => ({ ...spec, partitions: 6 }));
  await runtime.provision(topics);
  const stages = new Map<Role, Stage>();
  try {
    for (const role of ROLES)
      stages.set(role, startStage(role, role === 'source' ? [brokers, prefix, archive.path, String(events)] : [brokers, prefix]));
    const stage = (role: Role) => stages.get(role) as Stage;
    await until(
      () => (ROLES.every((role) => role === 'source' || lineOf(stage(role), 'ready')) ? true : undefined),
      120_000,
      'the consumers to join',
    );
    const expected = await until(() => lineOf<Expected>(stage('source'), 'loaded'), 600_000, 'the source to load the archive');
    log(
      `loaded ${count(expected.raw)} raw events; they give ${count(expected.link)} links, ${count(expected.touch)} touches, ${count(expected.userSources)} user-sources facts`,
    );

    const broker = brokerPid(brokers);
    const cpuBefore = new Map([...stages].map(([role, { child }]) => [role, cpuSecondsOf(child.pid)]));
    const brokerCpuBefore = cpuSecondsOf(broker);
    const started = performance.now();
    stage('source').child.stdin?.write('go\n');
    const facts = expected.touch + expected.userSources;
    await until(
      async () => {
        const done =
          (await committed(runtime, 'transport-identity', [TOPICS.rawEvents.name])) === expected.raw &&
          (await committed(runtime, 'transport-attribution', [TOPICS.rawEvents.name, TOPICS.identityLinks.name])) ===
            expected.raw + expected.link &&
          (await committed(runtime, 'transport-sink', [TOPICS.touches.name, TOPICS.userSources.name])) === facts;
        return done ? true : undefined;
      },
      3_600_000,
      'every group to commit every message',
      250,
    );
    const elapsedMs = performance.now() - started;
    const sent = lineOf<number>(stage('source'), 'sent');
    const cpu = Object.fromEntries(ROLES.map((role) => [role, cpuSecondsOf(stage(role).child.pid) - (cpuBefore.get(role) ?? 0)]));
    const brokerCpu = broker === undefined ? undefined : cpuSecondsOf(broker) - brokerCpuBefore;
    const perEvent = (cpuSeconds: number) => Math.round((cpuSeconds * 1e6) / expected.raw);
    const hostAfter = measureHostSpeed();
    const result = {
      machine: machine(),
      events: expected,
      prefix,
      elapsedMs: Math.round(elapsedMs),
      rawEventsPerSecond: Math.round(expected.raw / (elapsedMs / 1000)),
      sourceWroteAll: sent === expected.raw,
      cpuSeconds: { ...cpu, broker: brokerCpu },
      cpuMicrosecondsPerRawEvent: {
        ...Object.fromEntries(Object.entries(cpu).map(([role, value]) => [role, perEvent(value)])),
        broker: brokerCpu === undefined ? undefined : perEvent(brokerCpu),
      },
      hostSpeed: { before: hostBefore, after: hostAfter },
      loadAverageAfter: loadAverage(),
    };
    log(
      `every hop done after ${seconds(elapsedMs)} s: ${rate(result.rawEventsPerSecond)} raw events/s end to end with no work between the hops ` +
        `(${count(expected.raw + expected.link + facts)} messages produced, ${count(2 * expected.raw + expected.link + facts)} consumed)`,
    );
    log(
      `CPU µs per raw event: ${Object.entries(result.cpuMicrosecondsPerRawEvent)
        .map(([role, value]) => `${role} ${value ?? 'n/a'}`)
        .join(', ')}; load after ${loadAverage().join(' ')}; ${describeHostSpeed(hostAfter)}`,
    );
    if (json) writeJsonResult(json, result);
  } finally {
    for (const { child } of stages.values()) child.kill('SIGTERM');
    await Promise.all([...stages.values()].map(({ exited }) => exited));
    await runtime.deleteTopics(topics.map((spec) => runtime.topic(spec)));
    await runtime.shutdown();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
