import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, HttpException, HttpStatus, Inject, Injectable, Post, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { KafkaRuntime, type PartitionLag } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { AdminTokenGuard, DebugTokenGuard } from '../debug-token.guard';
import { REPLAY_TARGETS, type ReplayTarget } from '@touchstream/eventing';

const replayRequestSchema = z.object({
  from: z.union([z.literal('earliest'), z.iso.datetime({ offset: true })]).default('earliest'),
});

export interface ReplayStatus {
  /** replaying: a replay is starting, or a rebuild has not caught up with its fence yet. */
  state: 'idle' | 'replaying' | 'failed';
  id: string | null;
  from: string | null;
  startedAt: string | null;
  error: string | null;
  groups: Array<{ groupId: string; lag: number; rebuilding: boolean; partitions: PartitionLag[] }>;
}

/** How often a rewind is tried while the group's last member is still leaving. */
const REWIND_ATTEMPTS = 10;

/**
 * Replays a service's consumer groups (docs/decisions/0009-replay.md): for each target, stop its
 * consumers, rewind its group (to the earliest offsets or to a time), let the target rebuild or
 * re-apply, and start the consumers again. One replay at a time per process; a rebuild that has
 * not caught up counts as running.
 */
@Injectable()
export class ReplayService {
  private starting = false;
  private failed = false;
  private id: string | null = null;
  private from: string | null = null;
  private startedAt: string | null = null;
  private error: string | null = null;

  constructor(
    @Inject(REPLAY_TARGETS) private readonly targets: ReplayTarget[],
    @Inject(KafkaRuntime) private readonly kafka: KafkaRuntime,
    @Inject(Logger) private readonly logger: Logger,
  ) {}

  async replay(from: 'earliest' | Date): Promise<void> {
    if (this.starting) throw conflict('a replay is already starting');
    this.starting = true;
    try {
      for (const target of this.targets) {
        if (await target.rebuilding()) throw conflict(`a replay of ${target.groupId} is still rebuilding; wait for it to catch up`);
      }
    } catch (error) {
      this.starting = false;
      throw error;
    }
    this.id = randomUUID();
    this.from = from === 'earliest' ? 'earliest' : from.toISOString();
    this.startedAt = new Date().toISOString();
    this.error = null;
    this.failed = false;
    try {
      for (const target of this.targets) await this.replayTarget(target, from, this.id);
    } catch (error) {
      this.failed = true;
      this.error = error instanceof Error ? error.message : String(error);
      this.logger.error('replay failed', { replayId: this.id, errorMessage: this.error });
      throw error;
    } finally {
      this.starting = false;
    }
  }

  /**
   * The consumers are started again whatever happens: a failure before the rewind changes
   * nothing, and one after it leaves the stored positions ahead of the rewound group, so the
   * consumers skip what they re-read.
   */
  private async replayTarget(target: ReplayTarget, from: 'earliest' | Date, id: string): Promise<void> {
    const topics = target.topics();
    this.logger.info('replay: pausing consumers', { replayId: id, groupId: target.groupId, from: this.from });
    await target.pause();
    try {
      await this.rewindGroup(target.groupId, topics, from);
      const partitions = (await this.kafka.lag(target.groupId, topics)).map(({ topic, partition, committed, end }) => ({
        topic,
        partition,
        from: committed,
        end,
      }));
      await target.rewind({ id, from, partitions });
    } finally {
      await target.resume();
    }
    this.logger.info('replay: consumers resumed from the rewound position', { replayId: id, groupId: target.groupId });
  }

  private async rewindGroup(groupId: string, topics: string[], from: 'earliest' | Date): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.kafka.resetGroup(groupId, topics, from);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!/no running instances/.test(message)) throw error;
        if (attempt >= REWIND_ATTEMPTS) {
          throw conflict(`consumer group ${groupId} has members in other processes: run one instance of the service for a replay`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async status(): Promise<ReplayStatus> {
    const groups = [];
    for (const target of this.targets) {
      const partitions = await this.kafka.lag(target.groupId, target.topics());
      groups.push({
        groupId: target.groupId,
        lag: partitions.reduce((sum, partition) => sum + partition.lag, 0),
        rebuilding: await target.rebuilding(),
        partitions,
      });
    }
    const state = this.starting || groups.some((group) => group.rebuilding) ? 'replaying' : this.failed ? 'failed' : 'idle';
    return { state, id: this.id, from: this.from, startedAt: this.startedAt, error: this.error, groups };
  }
}

function conflict(message: string): HttpException {
  return new HttpException({ error: message }, HttpStatus.CONFLICT);
}

/** Replay over HTTP, for `npm run replay`: starting one needs ADMIN_TOKEN, reading its status DEBUG_TOKEN. */
@Controller('admin/replay')
export class ReplayController {
  constructor(@Inject(ReplayService) private readonly replays: ReplayService) {}

  /** Answers once the consumers run again from the rewound position (202: they are still catching up). */
  @Post()
  @UseGuards(AdminTokenGuard)
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
  @UseGuards(DebugTokenGuard)
  status(): Promise<ReplayStatus> {
    return this.replays.status();
  }
}
