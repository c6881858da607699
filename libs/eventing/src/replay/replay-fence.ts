import type { EntityManager } from 'typeorm';
import { quoteIdent } from '@touchstream/database';

/** One partition a rebuild must re-read: up to `end`, the partition's end offset when the replay began. */
export interface FencePartition {
  topic: string;
  partition: number;
  end: number;
}

/**
 * A rebuild in progress (docs/decisions/0009-replay.md): while a consumer group has a fence, its
 * batches rebuild the projection but publish nothing; once the group's stored positions reach
 * `partitions`, the service compares what it rebuilt with what it had published (its baseline)
 * and publishes only the differences.
 */
export interface ReplayFence {
  replayId: string;
  consumerGroup: string;
  startedAt: Date;
  partitions: FencePartition[];
}

export function replayFenceTableSql(schema: string): string[] {
  return [
    `CREATE TABLE ${quoteIdent(schema)}.replay_fences (
      consumer_group text PRIMARY KEY,
      replay_id uuid NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      partitions jsonb NOT NULL
    )`,
  ];
}

interface FenceRow {
  consumer_group: string;
  replay_id: string;
  started_at: Date;
  partitions: FencePartition[];
}

const fenceOfRow = (row: FenceRow): ReplayFence => ({
  replayId: row.replay_id,
  consumerGroup: row.consumer_group,
  startedAt: row.started_at,
  partitions: row.partitions,
});

/**
 * The group's fence, if any. `share`: a batch's transaction, so that settling (which takes the
 * row `for update`) waits for batches that rebuild under the fence, and batches that start after
 * it see it gone. `update`: the settle transaction.
 */
export async function readReplayFence(
  manager: EntityManager,
  schema: string,
  consumerGroup: string,
  lock: 'none' | 'share' | 'update' = 'none',
): Promise<ReplayFence | null> {
  const suffix = lock === 'share' ? ' FOR SHARE' : lock === 'update' ? ' FOR UPDATE' : '';
  const rows: FenceRow[] = await manager.query(
    `SELECT consumer_group, replay_id::text AS replay_id, started_at, partitions FROM ${quoteIdent(schema)}.replay_fences
     WHERE consumer_group = $1${suffix}`,
    [consumerGroup],
  );
  return rows[0] ? fenceOfRow(rows[0]) : null;
}

export async function storeReplayFence(transaction: EntityManager, schema: string, fence: Omit<ReplayFence, 'startedAt'>): Promise<void> {
  await transaction.query(
    `INSERT INTO ${quoteIdent(schema)}.replay_fences (consumer_group, replay_id, partitions) VALUES ($1, $2, $3::jsonb)`,
    [fence.consumerGroup, fence.replayId, JSON.stringify(fence.partitions)],
  );
}

export async function deleteReplayFence(transaction: EntityManager, schema: string, consumerGroup: string): Promise<void> {
  await transaction.query(`DELETE FROM ${quoteIdent(schema)}.replay_fences WHERE consumer_group = $1`, [consumerGroup]);
}

/** The group's stored next offsets for the fence's partitions (0 where none is stored yet). */
export async function storedPositions(manager: EntityManager, schema: string, fence: ReplayFence): Promise<Map<string, number>> {
  const rows: Array<{ topic: string; partition: number; next_offset: string }> = await manager.query(
    `SELECT topic, partition, next_offset::text AS next_offset FROM ${quoteIdent(schema)}.consumer_positions
     WHERE consumer_group = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))`,
    [fence.consumerGroup, fence.partitions.map((entry) => entry.topic), fence.partitions.map((entry) => entry.partition)],
  );
  return new Map(rows.map((row) => [partitionKey(row.topic, row.partition), Number(row.next_offset)]));
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Forgets the group's consumed positions: its next batches are applied whatever their offsets (a rebuild). */
export async function deleteConsumedPositions(transaction: EntityManager, schema: string, consumerGroup: string): Promise<void> {
  await transaction.query(`DELETE FROM ${quoteIdent(schema)}.consumer_positions WHERE consumer_group = $1`, [consumerGroup]);
}

/**
 * Moves the group's stored positions back to where its Kafka offsets were rewound (never
 * forward), so the re-read messages are applied again instead of being skipped as redeliveries.
 */
export async function rewindConsumedPositions(
  transaction: EntityManager,
  schema: string,
  consumerGroup: string,
  positions: ReadonlyArray<{ topic: string; partition: number; offset: number }>,
): Promise<void> {
  if (positions.length === 0) return;
  await transaction.query(
    `UPDATE ${quoteIdent(schema)}.consumer_positions AS cp SET next_offset = LEAST(cp.next_offset, u.o), updated_at = now()
     FROM unnest($2::text[], $3::int[], $4::bigint[]) AS u(t, p, o)
     WHERE cp.consumer_group = $1 AND cp.topic = u.t AND cp.partition = u.p`,
    [
      consumerGroup,
      positions.map((entry) => entry.topic),
      positions.map((entry) => entry.partition),
      positions.map((entry) => String(entry.offset)),
    ],
  );
}
