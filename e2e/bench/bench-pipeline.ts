import { randomBytes } from 'node:crypto';
import { cpuSecondsOf, memoryOf, startBenchService, type BenchService } from '@touchstream/bench';
import { TOPICS, deadLetterTopic } from '@touchstream/contracts';
import type { KafkaRuntime } from '@touchstream/kafka';
import { SITE } from '@touchstream/synthetic-data';
import { SERVICES, type ServiceName } from '../src/pipeline-services';

export interface BenchPipelineSettings {
  id: string;
  brokers: string;
  databaseUrl: string;
  /** The local Segment receiver the sink posts to. */
  segmentUrl: string;
  segmentWriteKey: string;
}

/**
 * The four compiled services as processes, as `npm start` runs them (dist/main.js with each
 * service's declared Node flags, default settings), on their own topic prefix, schemas and consumer groups, the sink pointed at a local
 * receiver. Only what a site owner sets is set: their domains, and a timeline retention that keeps
 * the archive's history (it is from 2024; the default 90 days would drop its timeline entries and
 * make the backfill do less work than one of recent data).
 */
export class BenchPipeline {
  readonly prefix: string;
  readonly ingestWriteKey = `bench-${randomBytes(6).toString('hex')}`;
  readonly schemas: Record<'identity' | 'attribution' | 'sink', string>;
  readonly groups: Record<'identity' | 'attribution' | 'sink', string>;
  private readonly running = new Map<ServiceName, BenchService>();
  private readonly peakRss = new Map<ServiceName, number>();

  constructor(private readonly settings: BenchPipelineSettings) {
    this.prefix = `bench.pipeline-${settings.id}`;
    const schema = (service: string) => `bench_pipeline_${settings.id}_${service}`;
    const group = (service: string) => `bench-pipeline-${settings.id}-${service}`;
    this.schemas = { identity: schema('identity'), attribution: schema('attribution'), sink: schema('sink') };
    this.groups = { identity: group('identity'), attribution: group('attribution'), sink: group('sink') };
  }

  private env(): NodeJS.ProcessEnv {
    return {
      KAFKA_BROKERS: this.settings.brokers,
      KAFKA_TOPIC_PREFIX: this.prefix,
      DATABASE_URL: this.settings.databaseUrl,
      IDENTITY_DB_SCHEMA: this.schemas.identity,
      ATTRIBUTION_DB_SCHEMA: this.schemas.attribution,
      SINK_DB_SCHEMA: this.schemas.sink,
      IDENTITY_CONSUMER_GROUP: this.groups.identity,
      ATTRIBUTION_CONSUMER_GROUP: this.groups.attribution,
      SINK_CONSUMER_GROUP: this.groups.sink,
      IDENTITY_TIMELINE_RETENTION_DAYS: '36500',
      INGEST_WRITE_KEYS: this.ingestWriteKey,
      SEGMENT_WRITE_KEY: this.settings.segmentWriteKey,
      SEGMENT_API_HOST: this.settings.segmentUrl,
      SITE_DOMAINS: SITE.domains.join(','),
      UNWANTED_REFERRALS: SITE.unwantedReferrals.join(','),
      LOG_LEVEL: 'warn',
    };
  }

  /** Sequentially, as e2e/src/pipeline.ts does: each boot provisions topics and migrates its schema. */
  async start(log: (line: string) => void): Promise<void> {
    for (const [service, portVariable] of Object.entries(SERVICES) as Array<[ServiceName, string]>) {
      const running = await startBenchService({ service, env: this.env(), portVariable });
      this.running.set(service, running);
      log(`${service} ready after ${(running.readyMs / 1000).toFixed(1)} s (pid ${running.pid})`);
    }
  }

  url(service: ServiceName): string {
    const running = this.running.get(service);
    if (!running) throw new Error(`${service} is not running`);
    return running.url;
  }

  /** Resident memory of each service now, in bytes; remembers each one's peak (VmHWM) while it runs. */
  async memory(): Promise<Record<ServiceName, number>> {
    const now = {} as Record<ServiceName, number>;
    for (const [service, running] of this.running) {
      const memory = await memoryOf(running.pid);
      now[service] = memory?.rssBytes ?? 0;
      if (memory) this.peakRss.set(service, Math.max(this.peakRss.get(service) ?? 0, memory.peakRssBytes));
    }
    return now;
  }

  /** Peak resident memory (VmHWM) of each service as last sampled. */
  peakRssBytes(): Record<ServiceName, number> {
    return Object.fromEntries([...this.peakRss]) as Record<ServiceName, number>;
  }

  cpuSeconds(): Record<ServiceName, number> {
    return Object.fromEntries([...this.running].map(([service, running]) => [service, cpuSecondsOf(running.pid)])) as Record<
      ServiceName,
      number
    >;
  }

  /** SIGTERM, downstream first (SIGKILL after 20 s); says which did not exit cleanly. */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    for (const [service, running] of [...this.running].reverse()) {
      const timeout = new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), 20_000).unref());
      let code = await Promise.race([running.stop('SIGTERM'), timeout]);
      if (code === 'timeout') {
        problems.push(`${service} did not stop within 20 s of SIGTERM`);
        code = await running.stop('SIGKILL');
      } else if (code !== 0) problems.push(`${service} exited with code ${code}`);
      this.running.delete(service);
    }
    return problems;
  }

  /** Messages each consumer group sent to its dead-letter topic (counted as the lag of a group that never reads them). */
  async deadLetters(runtime: KafkaRuntime): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [stage, group] of Object.entries(this.groups)) {
      const topic = `${this.prefix}.${deadLetterTopic(group).name}`;
      const partitions = await runtime.lag(`${group}-dead-letter-count`, [topic]).catch(() => []);
      counts[stage] = partitions.reduce((sum, partition) => sum + partition.lag, 0);
    }
    return counts;
  }

  /** Every topic the services and the benchmark may have created under the prefix. */
  topics(extraGroups: readonly string[] = []): string[] {
    const owned = [TOPICS.rawEvents, TOPICS.rejectedEvents, TOPICS.identityLinks, TOPICS.touches, TOPICS.userSources].map(
      (spec) => `${this.prefix}.${spec.name}`,
    );
    const deadLetters = [...Object.values(this.groups), ...extraGroups].map((group) => `${this.prefix}.${deadLetterTopic(group).name}`);
    return [...owned, ...deadLetters];
  }
}
