import type { Logger } from '@touchstream/logging';
import type { ConsumerSwitch, ReplayPlan, ReplayTarget } from '@touchstream/eventing';

/**
 * The sink's replay (docs/decisions/0009-replay.md): its group re-reads the facts and touches
 * from the rewound offsets, and its Postgres state is kept. That state is not a projection to
 * rebuild but the record of what Segment has (handled versions, tracked touches): with it, a
 * re-read fact or touch that was delivered is skipped, so a replay re-sends nothing, even past
 * Segment's 24-hour dedupe window, and delivers only what was never handled. A dry run records
 * nothing, so its replay writes everything to the dry-run file again (same messageIds).
 */
export class SinkReplayTarget implements ReplayTarget {
  readonly groupId: string;

  constructor(
    private readonly consumer: ConsumerSwitch,
    readonly topics: () => string[],
    groupId: string,
    private readonly logger: Logger,
  ) {
    this.groupId = groupId;
  }

  pause(): Promise<void> {
    return this.consumer.stop();
  }

  rewind(plan: ReplayPlan): Promise<void> {
    this.logger.info('replay: the sink re-reads its topics; what Segment has (handled marks) is kept', {
      replayId: plan.id,
      groupId: this.groupId,
    });
    return Promise.resolve();
  }

  resume(): Promise<void> {
    return this.consumer.start();
  }

  /** Nothing is held back while the sink catches up: its status is its lag. */
  rebuilding(): Promise<boolean> {
    return Promise.resolve(false);
  }
}
