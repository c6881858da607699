import type { EntityManager } from 'typeorm';
import { applyOncePerOffset, type Position } from './positions';

/** Whether a replay holds a projection's facts back (FencedRebuild is one). */
export interface FactHold {
  /** Read inside the batch's transaction, before the batch is applied. */
  holdsFacts(transaction: EntityManager): Promise<boolean>;
  /** Told after a held batch committed (the rebuild may settle now). */
  batchHeld(): void;
}

/** What a projection's batch did: its own result, and how many outbox events it appended. */
export interface AppliedBatch<R> {
  result: R;
  published: number;
}

export interface ProjectedBatch<M extends Position, R> {
  manager: EntityManager;
  schema: string;
  consumerGroup: string;
  messages: readonly M[];
  hold: FactHold;
  relay: { notify(): void };
  /**
   * Applies the messages not applied before, in the transaction that stores their positions.
   * Under `held`, it rebuilds state and appends nothing to the outbox.
   */
  apply(fresh: M[], transaction: EntityManager, hold: { held: boolean }): Promise<AppliedBatch<R>>;
}

export interface ProjectedBatchOutcome<M, R> {
  /** The messages applied (the rest were applied before: a redelivery). */
  fresh: M[];
  /** `apply`'s result, or null when nothing in the batch was fresh. */
  applied: AppliedBatch<R> | null;
  held: boolean;
}

/**
 * The skeleton of a projection's consumer: applies a batch once per offset, asking the replay
 * fence inside the same transaction whether its facts are held back; once committed, wakes the
 * outbox relay when the batch appended events and tells the rebuild when the batch was held.
 * A batch that fails tells neither: its transaction rolled back, so nothing was published or held.
 */
export async function applyProjectedBatch<M extends Position, R>(batch: ProjectedBatch<M, R>): Promise<ProjectedBatchOutcome<M, R>> {
  let applied: AppliedBatch<R> | null = null;
  let held = false;
  const fresh = await applyOncePerOffset(
    batch.manager,
    batch.schema,
    batch.consumerGroup,
    batch.messages,
    async (messages, transaction) => {
      held = await batch.hold.holdsFacts(transaction);
      applied = await batch.apply(messages, transaction, { held });
    },
  );
  const outcome: ProjectedBatchOutcome<M, R> = { fresh, applied, held };
  if ((outcome.applied?.published ?? 0) > 0) batch.relay.notify();
  if (held) batch.hold.batchHeld();
  return outcome;
}
