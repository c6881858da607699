import { Body, Controller, Get, HttpCode, HttpException, HttpStatus, Inject, Injectable, Post, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { KafkaRuntime, type PartitionLag } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { DebugTokenGuard } from '../debug-token.guard';

/**
 * What a service exposes so its projection can be rebuilt from Kafka: the consumer group and
 * topics to rewind, and how to stop its consumers, clear its projection and start again.
 */
export interface ReplayTarget {
  groupId: string;
  topics: () => string[];
  /** Stops the group's consumers in this process (Kafka only rewinds a group with no members). */
  pause: () => Promise<void>;
  /** Deletes the projection and its consumed positions in one transaction. */
  clear: () => Promise<void>;
  resume: () => Promise<void>;
}

export const REPLAY_TARGETS = Symbol('REPLAY_TARGETS');

const replayRequestSchema = z.object({
  from: z.union([z.literal('earliest'), z.iso.datetime({ offset: true })]).default('earliest'),
});

export interface ReplayStatus {
  state: 'idle' | 'replaying' | 'failed';
  from: string | null;
  startedAt: string | null;
  error: string | null;
  groups: Array<{ groupId: string; lag: number; partitions: PartitionLag[] }>;
}

@Injectable()
export class ReplayService {
  private state: ReplayStatus['state'] = 'idle';
  private from: string | null = null;
  private startedAt: string | null = null;
  private error: string | null = null;

  constructor(
    @Inject(REPLAY_TARGETS) private readonly targets: ReplayTarget[],
    @Inject(KafkaRuntime) private readonly kafka: KafkaRuntime,
    @Inject(Logger) private readonly logger: Logger,
  ) {}

  /**
   * Rebuilds every target: pause its consumers, rewind its group, clear its projection, resume.
   * The projection is cleared after the rewind so a failure in between leaves a projection that
   * the (not yet rewound) consumers can still serve.
   */
  async replay(from: 'earliest' | Date): Promise<void> {
    if (this.state === 'replaying') throw new HttpException({ error: 'a replay is already running' }, HttpStatus.CONFLICT);
    this.state = 'replaying';
    this.from = from === 'earliest' ? 'earliest' : from.toISOString();
    this.startedAt = new Date().toISOString();
    this.error = null;
    try {
      for (const target of this.targets) {
        this.logger.info('replay: pausing consumers', { groupId: target.groupId, from: this.from });
        await target.pause();
        await this.kafka.resetGroup(target.groupId, target.topics(), from);
        await target.clear();
        await target.resume();
        this.logger.info('replay: consumers resumed from the rewound position', { groupId: target.groupId });
      }
      this.state = 'idle';
    } catch (error) {
      this.state = 'failed';
      this.error = error instanceof Error ? error.message : String(error);
      this.logger.error('replay failed', { errorMessage: this.error });
      throw error;
    }
  }

  async status(): Promise<ReplayStatus> {
    const groups = [];
    for (const target of this.targets) {
      const partitions = await this.kafka.lag(target.groupId, target.topics());
      groups.push({ groupId: target.groupId, lag: partitions.reduce((sum, partition) => sum + partition.lag, 0), partitions });
    }
    return { state: this.state, from: this.from, startedAt: this.startedAt, error: this.error, groups };
  }
}

/** Replay over HTTP, for `npm run replay` (debug token required). */
@Controller('admin/replay')
@UseGuards(DebugTokenGuard)
export class ReplayController {
  constructor(private readonly replays: ReplayService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async start(@Body() body: unknown): Promise<ReplayStatus> {
    const parsed = replayRequestSchema.safeParse(body ?? {});
    if (!parsed.success) {
      throw new HttpException({ error: 'from must be "earliest" or an ISO-8601 timestamp with offset' }, HttpStatus.BAD_REQUEST);
    }
    await this.replays.replay(parsed.data.from === 'earliest' ? 'earliest' : new Date(parsed.data.from));
    return this.replays.status();
  }

  @Get('status')
  status(): Promise<ReplayStatus> {
    return this.replays.status();
  }
}
