import type { Pool } from 'pg';
import { count, seconds } from '@touchstream/bench';
import { TOPICS, type TopicSpec } from '@touchstream/contracts';
import type { KafkaRuntime } from '@touchstream/kafka';
import type { ServiceName } from '../src/pipeline-services';
import type { BenchPipeline } from './bench-pipeline';
import type { DeliveryCounter } from './delivery-counter';

export type Stage = 'identity' | 'attribution' | 'sink';
export const STAGES: readonly Stage[] = ['identity', 'attribution', 'sink'];

/** One second of the run: what each consumer group still has to read, and what is waiting in the outboxes. */
export interface StageSample {
  /** Seconds since the import started. */
  t: number;
  /** Messages in the raw topic (its end offsets summed): the import's progress. */
  raw: number | null;
  /** Per consumer group: end offsets minus committed offsets over its input topics; null when the broker did not answer. */
  lag: Record<Stage, number | null>;
  /** Facts written but not yet published (the transactional outboxes of identity and attribution). */
  outbox: Record<'identity' | 'attribution', number | null>;
  /** Distinct messageIds the receiver has accepted. */
  delivered: number;
  rssMb: Partial<Record<ServiceName, number>>;
}

/**
 * Samples the pipeline once a second (each sample waits for the previous one, so a slow broker
 * stretches the interval rather than piling up requests). Within a sample the stages are read
 * upstream first, so "everything drained" read in one sample is true of the whole pipeline.
 */
export class StageSampler {
  readonly samples: StageSample[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private origin = 0;

  constructor(
    private readonly runtime: KafkaRuntime,
    private readonly database: Pool,
    private readonly pipeline: BenchPipeline,
    private readonly delivered: DeliveryCounter,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts sampling; sample times are seconds since `origin` (performance.now(), the start of the import). */
  start(origin: number): void {
    this.origin = origin;
    this.log(
      '   t (s)         raw   identity lag  attribution lag   sink lag   outbox (id/attr)   delivered   RSS MB (ingest/identity/attribution/sink)',
    );
    this.loop = (async () => {
      while (!this.stopped) {
        const began = performance.now();
        const sample = await this.sample();
        this.samples.push(sample);
        if (this.samples.length % 5 === 0) this.print(sample);
        await new Promise((done) => setTimeout(done, Math.max(0, 1_000 - (performance.now() - began))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  latest(): StageSample | undefined {
    return this.samples.at(-1);
  }

  /** Nothing left anywhere: every group at the end of its topics and both outboxes empty. */
  static drained(sample: StageSample): boolean {
    return STAGES.every((stage) => sample.lag[stage] === 0) && sample.outbox.identity === 0 && sample.outbox.attribution === 0;
  }

  print(sample: StageSample): void {
    const cell = (value: number | null, width: number) => (value === null ? '?' : count(value)).padStart(width);
    const rss = (['ingest', 'identity', 'attribution', 'segment-sink'] as const).map((service) => sample.rssMb[service] ?? '-').join('/');
    this.log(
      `${sample.t.toFixed(1).padStart(8)} ${cell(sample.raw, 11)} ${cell(sample.lag.identity, 14)} ${cell(sample.lag.attribution, 16)} ` +
        `${cell(sample.lag.sink, 10)} ${`${sample.outbox.identity ?? '?'}/${sample.outbox.attribution ?? '?'}`.padStart(18)} ` +
        `${count(sample.delivered).padStart(11)}   ${rss}`,
    );
  }

  private async sample(): Promise<StageSample> {
    const t = Number(seconds(performance.now() - this.origin));
    const topic = (spec: TopicSpec) => this.runtime.topic(spec);
    const { groups, schemas } = this.pipeline;
    const identity = await this.lagOf(groups.identity, [topic(TOPICS.rawEvents)]);
    const identityOutbox = await this.pending(schemas.identity);
    const attribution = await this.lagOf(groups.attribution, [topic(TOPICS.rawEvents), topic(TOPICS.identityLinks)]);
    const attributionOutbox = await this.pending(schemas.attribution);
    const sink = await this.lagOf(groups.sink, [topic(TOPICS.touches), topic(TOPICS.userSources)]);
    const memory = await this.pipeline.memory();
    return {
      t,
      raw: identity?.ends ?? null,
      lag: { identity: identity?.lag ?? null, attribution: attribution?.lag ?? null, sink: sink?.lag ?? null },
      outbox: { identity: identityOutbox, attribution: attributionOutbox },
      delivered: this.delivered.distinct(),
      rssMb: Object.fromEntries(Object.entries(memory).map(([service, bytes]) => [service, Math.round(bytes / 2 ** 20)])),
    };
  }

  private async lagOf(group: string, topics: string[]): Promise<{ lag: number; ends: number } | undefined> {
    try {
      const partitions = await this.runtime.lag(group, topics);
      return {
        lag: partitions.reduce((sum, partition) => sum + partition.lag, 0),
        ends: partitions.filter((partition) => partition.topic === topics[0]).reduce((sum, partition) => sum + partition.end, 0),
      };
    } catch {
      return undefined;
    }
  }

  private async pending(schema: string): Promise<number | null> {
    try {
      const result = await this.database.query<{ pending: string }>(
        `SELECT coalesce(sum(event_count), 0)::text AS pending FROM "${schema}".outbox WHERE sent_at IS NULL`,
      );
      return Number(result.rows[0]?.pending ?? 0);
    } catch {
      return null;
    }
  }
}
