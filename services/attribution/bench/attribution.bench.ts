// Benchmark, not a test: `npx tsc -b services/attribution/tsconfig.build.json && npx tsx services/attribution/bench/attribution.bench.ts`
// (the service runs from dist/, as in production).
//
// 1. Writes --events generated raw events (default 1,000,000; libs/synthetic-data's archive:
//    people with several devices browsing, signing up and logging in, shuffled within a window as
//    archives are) into a fresh, prefixed segment.events.raw.v1 on the real broker, and the
//    identity links the identity service would publish for them (revisions included) into
//    identity.links.v1, reporting the producer's rate (the broker's ceiling for this data here).
// 2. Starts the compiled attribution service on those topics and a fresh schema and samples its
//    progress once a second (the consumed positions it stores with its state) until it has
//    applied every message and its outbox is drained: events/s and touches/s.
// 3. Checks the result against the generator's truth (each user's first touch), reports what
//    it wrote and the service's CPU time, then stops it and deletes the topics and the schema.
//
// Options: --events=N  --window=N (shuffle window, default 2000)  --pool=N (DATABASE_POOL_SIZE)
//          --cpu-prof (the service's CPU profile into .cache/attribution-bench/)  --json=FILE  --no-verify
//          --keep (leave the schema and topics in place, to look at them)
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
import {
  IDENTITY_LINK_TYPE,
  identityLinkId,
  rawEventKey,
  toRawEvent,
  TOPICS,
  type IdentityLink,
  envelopeMessage,
} from '@touchstream/contracts';
import { ensureDatabase } from '@touchstream/database';
import { KafkaRuntime } from '@touchstream/kafka';
import { gaugeValue } from '@touchstream/local-infra';
import { Logger } from '@touchstream/logging';
import { generateArchive, SITE, type SyntheticArchive } from '@touchstream/synthetic-data';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const TARGET_PER_SECOND = 15_000;
/** About 8.5 events per generated person (measured): enough people for the requested events. */
const EVENTS_PER_PERSON = 8;

interface Options {
  events: number;
  window: number;
  pool: string | undefined;
  cpuProf: boolean;
  json: string | undefined;
  verify: boolean;
  keep: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string) => optionValue(argv, name);
  const events = Number(value('events') ?? 1_000_000);
  const window = Number(value('window') ?? 2_000);
  if (!Number.isInteger(events) || events < 1) throw new Error('--events must be a positive integer');
  if (!Number.isInteger(window) || window < 1) throw new Error('--window must be a positive integer');
  return {
    events,
    window,
    pool: value('pool'),
    cpuProf: argv.includes('--cpu-prof'),
    json: value('json'),
    verify: !argv.includes('--no-verify'),
    keep: argv.includes('--keep'),
  };
}

/**
 * Writes the whole archive (at least `minimum` events) to the raw topic, keyed as ingest keys them, and the
 * links the identity service would publish while reading them in that order: a link when a pair
 * is first seen, a new revision when an earlier sighting comes later.
 */
async function fillTopics(runtime: KafkaRuntime, archive: SyntheticArchive, minimum: number, window: number) {
  const raw = topicWriter(runtime, runtime.topic(TOPICS.rawEvents));
  const linkWriter = topicWriter(runtime, runtime.topic(TOPICS.identityLinks));
  const pairs = new Map<string, { at: number; revision: number }>();
  const started = performance.now();
  let written = 0;
  for (const event of archive.events({ kind: 'shuffled', window })) {
    const accepted = toRawEvent(event, { source: 'import', receivedAt: new Date(event.timestamp ?? Date.now()) });
    await raw.write(envelopeMessage(accepted, rawEventKey(accepted.data.event)));
    const { anonymousId, userId, timestamp } = accepted.data.event;
    if (anonymousId && userId) {
      const key = `${anonymousId}\u0000${userId}`;
      const at = Date.parse(timestamp);
      const seen = pairs.get(key);
      if (!seen || at < seen.at) {
        const revision = (seen?.revision ?? 0) + 1;
        pairs.set(key, { at, revision });
        const firstSeenAt = new Date(at).toISOString();
        const link: IdentityLink = {
          id: identityLinkId(anonymousId, userId, revision),
          type: IDENTITY_LINK_TYPE,
          occurredAt: firstSeenAt,
          recordedAt: accepted.recordedAt,
          correlationId: accepted.correlationId,
          causationId: accepted.id,
          source: 'import',
          data: {
            anonymousId,
            userId,
            firstSeenAt,
            via: accepted.data.event.type === 'identify' ? 'identify' : 'event',
            messageId: accepted.data.event.messageId,
            revision,
          },
        };
        await linkWriter.write(envelopeMessage(link, anonymousId));
      }
    }
    written += 1;
    if (written % 200_000 === 0) process.stdout.write(`  produced ${written.toLocaleString('en')}\n`);
  }
  const rawDone = await raw.close();
  const linksDone = await linkWriter.close();
  if (written < minimum) throw new Error(`the archive had only ${written} events`);
  return { ms: performance.now() - started, events: written, rawBytes: rawDone.bytes, links: linksDone.count };
}

/** How many signed-up people's first touch, as the service stored it, is the generator's truth. */
async function verifyFirstTouches(pool: Pool, schema: string, archive: SyntheticArchive) {
  const rows = await pool.query<{ subject_id: string; message_id: string }>(
    `SELECT s.subject_id, t.message_id FROM "${schema}".subjects s JOIN "${schema}".touches t ON t.touch_id = s.first_touch_id
     WHERE s.subject_type = 'user'`,
  );
  const stored = new Map(rows.rows.map((row) => [row.subject_id, row.message_id]));
  let signedUp = 0;
  let checked = 0;
  let agreed = 0;
  for (const person of archive.people()) {
    if (!person.userId || !person.firstTouch) continue;
    signedUp += 1;
    const actual = stored.get(person.userId);
    if (actual === undefined) continue;
    checked += 1;
    if (actual === person.firstTouch.messageId) agreed += 1;
  }
  return { signedUp, usersWithFacts: stored.size, checked, agreed };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const id = randomBytes(4).toString('hex');
  const prefix = `bench.attribution-${id}`;
  const schema = `bench_attribution_${id}`;
  const group = `attribution-bench-${id}`;
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/touchstream_bench';
  const logger = new Logger({ service: 'attribution-bench', level: 'warn' });
  const runtime = new KafkaRuntime({ brokers, clientId: 'attribution-bench', topicPrefix: prefix }, logger);
  const topics = [TOPICS.rawEvents, TOPICS.identityLinks, TOPICS.touches, TOPICS.userSources];
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const archive = generateArchive({ users: Math.ceil(options.events / EVENTS_PER_PERSON), days: 180, seed: 'attribution-bench' });
  let service: BenchService | undefined;

  console.log(
    `attribution benchmark: at least ${options.events.toLocaleString('en')} raw events, node ${process.version}, ${cpus().length} cores`,
  );
  console.log(`load average before: ${loadAverage().join(' ')}`);
  const hostBefore = measureHostSpeed();
  console.log(`before: ${describeHostSpeed(hostBefore)}`);
  try {
    await ensureDatabase(databaseUrl);
    await runtime.provision(topics, [group]);
    await runtime.connectProducer();
    const fill = await fillTopics(runtime, archive, options.events, options.window);
    const events = fill.events;
    const total = events + fill.links;
    console.log(
      `topics filled: ${events.toLocaleString('en')} raw events and ${fill.links.toLocaleString('en')} links, ` +
        `${rate(total / (fill.ms / 1000))} messages/s through the batched producer ` +
        `(${seconds(fill.ms)} s incl. generation, ${(fill.rawBytes / events).toFixed(0)} bytes/raw event)`,
    );

    const env: NodeJS.ProcessEnv = {
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: databaseUrl,
      ATTRIBUTION_DB_SCHEMA: schema,
      ATTRIBUTION_CONSUMER_GROUP: group,
      SITE_DOMAINS: SITE.domains.join(','),
      UNWANTED_REFERRALS: SITE.unwantedReferrals.join(','),
      LOG_LEVEL: 'warn',
    };
    if (options.pool) env.DATABASE_POOL_SIZE = options.pool;
    const profileDir = resolve(REPO_ROOT, '.cache', 'attribution-bench');
    if (options.cpuProf) mkdirSync(profileDir, { recursive: true });
    const nodeArgs = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    service = await startBenchService({ service: 'attribution', env, portVariable: 'ATTRIBUTION_PORT', nodeArgs });
    const readyAt = performance.now();
    console.log(`service ready after ${seconds(service.readyMs)} s (migrations, topics, consumer group join)`);

    // Sampled every second, so it must stay cheap: positions and unsent rows come from small tables
    // and the outbox_unsent index, touches from the service's own counter. Counting the outbox
    // (hundreds of MB by the end) every second made the bench compete with the service it measures.
    const touchFacts = (metrics: string) => gaugeValue(metrics, 'touchstream_attribution_facts_total{topic="touches"}') ?? 0;
    const progress = async () => {
      const result = await pool.query<{ applied: string | null; pending: string }>(
        `SELECT (SELECT sum(next_offset) FROM "${schema}".consumer_positions WHERE consumer_group = $1)::text AS applied,
                (SELECT coalesce(sum(event_count), 0) FROM "${schema}".outbox WHERE sent_at IS NULL)::text AS pending`,
        [group],
      );
      const metrics = await fetch(`${service?.url}/metrics`).then((response) => response.text());
      const row = result.rows[0];
      return {
        applied: Number(row?.applied ?? 0),
        touches: touchFacts(metrics),
        pending: Number(row?.pending ?? 0),
      };
    };
    /** Facts written, from the service's own counters, once at the end (published rows leave the outbox). */
    const finalCounts = async () => {
      const metrics = await fetch(`${service?.url}/metrics`).then((response) => response.text());
      // Summed over its topic label: touches and user_sources.
      return { touches: touchFacts(metrics), facts: gaugeValue(metrics, 'touchstream_attribution_facts_total') ?? 0 };
    };
    // CPU of the service's Postgres backends (its connection pool, named after its schema), sampled
    // as it runs: a backend's counter is kept at its last value if the pool closes it.
    const backendCpu = new Map<number, number>();
    const sampleBackends = async () => {
      const backends = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
        `touchstream-${schema}`,
      ]);
      for (const { pid } of backends.rows) backendCpu.set(pid, Math.max(backendCpu.get(pid) ?? 0, cpuSecondsOf(pid)));
    };
    const samples: Array<{ atMs: number; applied: number; touches: number; pending: number }> = [];
    let firstAt: number | undefined;
    console.log('   t (s)     applied         lag   messages/s   touches/s   outbox pending (last interval)');
    for (;;) {
      await new Promise((done) => setTimeout(done, 1_000));
      const now = performance.now();
      const state = await progress().catch(() => ({ applied: 0, touches: 0, pending: 0 }));
      await sampleBackends().catch(() => undefined);
      const previous = samples[samples.length - 1];
      samples.push({ atMs: now - readyAt, applied: state.applied, touches: state.touches, pending: state.pending });
      if (state.applied > 0 && firstAt === undefined) firstAt = previous?.atMs ?? 0;
      const elapsed = previous ? (now - readyAt - previous.atMs) / 1000 : (now - readyAt) / 1000;
      const messageRate = (state.applied - (previous?.applied ?? 0)) / elapsed;
      const touchRate = (state.touches - (previous?.touches ?? 0)) / elapsed;
      console.log(
        `${seconds(now - readyAt).padStart(8)} ${state.applied.toLocaleString('en').padStart(11)} ${(total - state.applied).toLocaleString('en').padStart(11)} ` +
          `${rate(messageRate).padStart(12)} ${rate(touchRate).padStart(11)} ${state.pending.toLocaleString('en').padStart(16)}`,
      );
      // Caught up: the group's committed offsets reached the end of both topics (a message that went
      // to the dead-letter topic counts as consumed: it is reported below) and the outbox is drained.
      if (state.pending === 0 && state.applied > 0) {
        const lag = await runtime.lag(group, [runtime.topic(TOPICS.rawEvents), runtime.topic(TOPICS.identityLinks)]);
        if (lag.every((partition) => partition.lag === 0)) break;
      }
      if (now - readyAt > 45 * 60_000) throw new Error('the service did not catch up within 45 minutes');
    }
    const doneAtMs = samples[samples.length - 1]?.atMs ?? 0;
    const cpuSeconds = cpuSecondsOf(service.pid);
    await sampleBackends();
    const postgresCpuSeconds = [...backendCpu.values()].reduce((sum, value) => sum + value, 0);
    const deadLetters = (await runtime.lag(`${group}-dead-letter-count`, [`${prefix}.${group}.dead-letter.v1`])).reduce(
      (sum, partition) => sum + partition.lag,
      0,
    );
    const final = await finalCounts();
    const stored = await pool.query<{
      page_views: string;
      touches: string;
      recorded: string;
      links: string;
      users: string;
      visitors: string;
    }>(
      `SELECT (SELECT count(*) FROM "${schema}".page_views)::text AS page_views,
              (SELECT count(*) FROM "${schema}".touches)::text AS touches,
              (SELECT count(*) FROM "${schema}".touches WHERE status = 'recorded')::text AS recorded,
              (SELECT count(*) FROM "${schema}".links)::text AS links,
              (SELECT count(*) FROM "${schema}".subjects WHERE subject_type = 'user')::text AS users,
              (SELECT count(*) FROM "${schema}".subjects WHERE subject_type = 'anonymous')::text AS visitors`,
    );
    const written = {
      ...stored.rows[0],
      outboxFacts: final.facts,
      touchFacts: final.touches,
      userSourcesFacts: final.facts - final.touches,
      deadLetters,
    };
    const steadyMs = doneAtMs - (firstAt ?? 0);
    const summary = {
      events,
      links: fill.links,
      shuffleWindow: options.window,
      caughtUpSeconds: Number(seconds(doneAtMs)),
      eventsPerSecond: Math.round(events / (doneAtMs / 1000)),
      eventsPerSecondFromFirstBatch: Math.round(events / (steadyMs / 1000)),
      messagesPerSecond: Math.round(total / (doneAtMs / 1000)),
      touchesPerSecond: Math.round(final.touches / (doneAtMs / 1000)),
      producerMessagesPerSecond: Math.round(total / (fill.ms / 1000)),
      serviceCpuSeconds: cpuSeconds,
      serviceCpuMicrosecondsPerEvent: Math.round((cpuSeconds * 1e6) / events),
      postgresCpuSeconds: Number(postgresCpuSeconds.toFixed(1)),
      postgresCpuMicrosecondsPerEvent: Math.round((postgresCpuSeconds * 1e6) / events),
      written,
      loadAverageAfter: loadAverage(),
      hostSpeedProbe: { before: hostBefore, after: measureHostSpeed() },
      verification: undefined as Awaited<ReturnType<typeof verifyFirstTouches>> | undefined,
      samples: samples.map((sample) => ({
        t: Number(seconds(sample.atMs)),
        applied: sample.applied,
        touches: sample.touches,
        pending: sample.pending,
      })),
    };
    console.log(
      `\ncaught up (every message applied, outbox drained) ${seconds(doneAtMs)} s after ready: ${rate(summary.eventsPerSecond)} raw events/s ` +
        `(${rate(summary.eventsPerSecondFromFirstBatch)}/s from the first committed batch), ${rate(summary.touchesPerSecond)} touch facts/s; ` +
        `target ${rate(TARGET_PER_SECOND)} events/s: ${summary.eventsPerSecond >= TARGET_PER_SECOND ? 'met' : 'MISSED'}`,
    );
    console.log(
      `CPU: service ${cpuSeconds.toFixed(1)} s (${summary.serviceCpuMicrosecondsPerEvent} µs per raw event), ` +
        `its Postgres backends ${postgresCpuSeconds.toFixed(1)} s (${summary.postgresCpuMicrosecondsPerEvent} µs per raw event)`,
    );
    console.log(`written: ${JSON.stringify(written)}`);
    if (deadLetters > 0) console.log(`WARNING: ${deadLetters} messages went to the dead-letter topic`);
    console.log(`load average after: ${summary.loadAverageAfter.join(' ')}; after: ${describeHostSpeed(summary.hostSpeedProbe.after)}`);

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const metric = (name: string) => gaugeValue(metrics, name) ?? NaN;
    const batches = metric('touchstream_attribution_batch_seconds_count');
    const batchSeconds = metric('touchstream_attribution_batch_seconds_sum');
    console.log(
      `batches: ${batches} (${Math.round(total / batches)} messages each on average, ${((batchSeconds / batches) * 1000).toFixed(1)} ms each), ` +
        `${batchSeconds.toFixed(1)} s inside batch transactions`,
    );
    const phases = Object.fromEntries(
      ['load', 'apply', 'store', 'outbox'].map((phase) => [
        phase,
        Number(
          Number(
            new RegExp(`^touchstream_attribution_batch_phase_seconds_total\\{phase="${phase}"\\} ([0-9.e+-]+)$`, 'm').exec(metrics)?.[1] ??
              NaN,
          ).toFixed(1),
        ),
      ]),
    );
    console.log(
      `inside batches, seconds per phase: ${JSON.stringify(phases)} (load: locks and reads; apply: the ledger; store: state writes)`,
    );
    Object.assign(summary, { batches, batchTransactionSeconds: Number(batchSeconds.toFixed(1)), phases });

    const code = await service.stop('SIGTERM');
    service = undefined;
    if (code !== 0) console.log(`service exited with code ${code}`);
    if (options.verify) {
      summary.verification = await verifyFirstTouches(pool, schema, archive);
      const { signedUp, checked, agreed } = summary.verification;
      console.log(
        `first touch = the generator's truth for ${agreed.toLocaleString('en')} of ${signedUp.toLocaleString('en')} signed-up people (${checked.toLocaleString('en')} have a user fact)`,
      );
    }
    if (options.json) writeJsonResult(options.json, summary);
  } finally {
    await service?.stop('SIGKILL');
    if (options.keep) {
      console.log(`kept: schema ${schema}, topic prefix ${prefix}, consumer group ${group}`);
      await runtime.shutdown().catch(() => undefined);
      await pool.end();
      return;
    }
    await runtime
      .deleteTopics([...topics.map((topic) => runtime.topic(topic)), `${prefix}.${group}.dead-letter.v1`])
      .catch((error: unknown) => console.log(`could not delete the bench topics: ${(error as Error).message}`));
    await runtime.shutdown().catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
