import type { EntityManager } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { incarnationReason, type IncarnationChange, type PartitionLog } from './incarnation';

export interface Position {
  topic: string;
  partition: number;
  offset: string;
  /** What the broker said about the partition (consumed messages carry it; messages built in memory may not). */
  log?: PartitionLog;
}

/**
 * Applies a batch's effect exactly once per Kafka offset: in one transaction it locks the stored
 * positions of the batch's partitions, drops messages at offsets already applied (a redelivery
 * after a lost Kafka commit), runs the effect on the rest, and stores the new positions. The
 * Kafka offset commit that follows is then only an optimisation: losing it loses nothing.
 *
 * A stored position is only trusted for the incarnation of the topic it was stored under: when
 * the batch's topic id differs from the stored one, or the stored position lies past the
 * partition's end offset, the topic was created anew (or the broker lost its data), and the
 * batch is applied from its first offset instead of being skipped. The partition's log is told
 * (`newIncarnation`) once the transaction committed, so that it is logged and counted.
 */
export async function applyOncePerOffset<M extends Position>(
  manager: EntityManager,
  schema: string,
  consumerGroup: string,
  messages: readonly M[],
  effect: (fresh: M[], transaction: EntityManager) => Promise<void>,
): Promise<M[]> {
  const positions: PositionsOf = { table: `${quoteIdent(schema)}.consumer_positions`, consumerGroup };
  const { fresh, changes } = await manager.transaction(async (transaction) => {
    const batch = indexBatch(messages);
    const stored = await lockPositions(transaction, positions, batch.partitions);
    const resumption = resume(batch, stored, consumerGroup);
    const freshIndexes = batch.offsets.flatMap((offset, index) =>
      offset >= (resumption.next.get(batch.keys[index] as string) ?? 0n) ? [index] : [],
    );
    const fresh = freshIndexes.map((index) => messages[index] as M);
    if (fresh.length > 0) await effect(fresh, transaction);
    await storePositions(transaction, positions, nextPositions(batch, freshIndexes, resumption), resumption.topicIds);
    return { fresh, changes: resumption.changes };
  });
  for (const { log, change } of changes) log.newIncarnation?.(change);
  return fresh;
}

/** The stored positions of one consumer group. */
interface PositionsOf {
  /** The schema-qualified consumer_positions table. */
  table: string;
  consumerGroup: string;
}

interface PartitionRef {
  key: string;
  topic: string;
  partition: number;
}

/**
 * Each message's partition key and offset, computed once: this runs for every consumed message,
 * and rebuilding keys and parsing offsets per use showed up in the services' profiles.
 */
interface IndexedBatch {
  keys: string[];
  offsets: bigint[];
  partitions: PartitionRef[];
  /** What the broker said about each partition, from the first message that carries it. */
  logs: Map<string, PartitionLog>;
}

interface StoredPosition {
  topic: string;
  partition: number;
  next_offset: string;
  topic_id: string | null;
}

/** Where each partition of a batch resumes, and what its stored position is to become. */
interface Resumption {
  /** The first offset of each partition that is not applied yet. */
  next: Map<string, bigint>;
  /** Partitions whose stored topic id is to be written (a new one, or the first one known). */
  topicIds: Map<string, string | null>;
  /** Partitions found to be a new incarnation of their topic, told to their log once committed. */
  changes: Array<{ log: PartitionLog; change: IncarnationChange }>;
}

function indexBatch(messages: readonly Position[]): IndexedBatch {
  const keys = messages.map((message) => partitionKey(message.topic, message.partition));
  const offsets = messages.map((message) => BigInt(message.offset));
  const logs = new Map<string, PartitionLog>();
  messages.forEach((message, index) => {
    if (message.log && !logs.has(keys[index] as string)) logs.set(keys[index] as string, message.log);
  });
  return { keys, offsets, partitions: [...new Set(keys)].map(partitionOf), logs };
}

/** The stored positions of the batch's partitions, locked until the transaction ends. */
async function lockPositions(
  transaction: EntityManager,
  { table, consumerGroup }: PositionsOf,
  partitions: PartitionRef[],
): Promise<StoredPosition[]> {
  const topics = partitions.map(({ topic }) => topic);
  const numbers = partitions.map(({ partition }) => partition);
  // Create missing rows first so FOR UPDATE has something to lock (two members racing on a
  // partition during a rebalance serialise here).
  await transaction.query(
    `INSERT INTO ${table} (consumer_group, topic, partition, next_offset)
     SELECT $1, t, p, 0 FROM unnest($2::text[], $3::int[]) AS u(t, p)
     ON CONFLICT DO NOTHING`,
    [consumerGroup, topics, numbers],
  );
  const rows: StoredPosition[] = await transaction.query(
    `SELECT topic, partition, next_offset, topic_id FROM ${table}
     WHERE consumer_group = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))
     FOR UPDATE`,
    [consumerGroup, topics, numbers],
  );
  return rows;
}

/** Compares each partition's stored position with what the broker says of its log. */
function resume(batch: IndexedBatch, rows: StoredPosition[], consumerGroup: string): Resumption {
  const stored = new Map(rows.map((row) => [partitionKey(row.topic, row.partition), row]));
  const { next, topicIds, changes }: Resumption = { next: new Map(), topicIds: new Map(), changes: [] };
  for (const { key, topic, partition } of batch.partitions) {
    const row = stored.get(key);
    const log = batch.logs.get(key);
    const nextOffset = BigInt(row?.next_offset ?? 0);
    const storedTopicId = row?.topic_id ?? null;
    next.set(key, nextOffset);
    if (!log) continue;
    if (log.topicId !== null && log.topicId !== storedTopicId) topicIds.set(key, log.topicId);
    const reason = incarnationReason({ nextOffset, topicId: storedTopicId }, log);
    if (reason === null) continue;
    // Applied again from the batch's first offset: the consumer reads a new incarnation from its start.
    const first = firstOffset(batch, key);
    next.set(key, first ?? 0n);
    if (!topicIds.has(key)) topicIds.set(key, log.topicId);
    changes.push({
      log,
      change: {
        consumerGroup,
        topic,
        partition,
        reason,
        storedNextOffset: nextOffset.toString(),
        storedTopicId,
        topicId: log.topicId,
        highWatermark: log.highWatermark,
        reappliedFrom: String(first ?? 0n),
      },
    });
  }
  return { next, topicIds, changes };
}

/** The lowest offset of the partition's messages in the batch. */
function firstOffset(batch: IndexedBatch, key: string): bigint | null {
  return batch.offsets.reduce<bigint | null>(
    (low, offset, index) => (batch.keys[index] === key && (low === null || offset < low) ? offset : low),
    null,
  );
}

/**
 * The new next offset per partition: one past the highest fresh offset; a partition found to be
 * a new incarnation with nothing fresh keeps the position it was set back to, and one whose topic
 * id is to be stored keeps its position.
 */
function nextPositions(batch: IndexedBatch, freshIndexes: number[], { next, topicIds, changes }: Resumption): Map<string, bigint> {
  const last = new Map<string, bigint>();
  for (const { change } of changes) last.set(partitionKey(change.topic, change.partition), BigInt(change.reappliedFrom));
  for (const index of freshIndexes) {
    const key = batch.keys[index] as string;
    const offset = (batch.offsets[index] as bigint) + 1n;
    if (offset > (last.get(key) ?? -1n)) last.set(key, offset);
  }
  for (const key of topicIds.keys()) if (!last.has(key)) last.set(key, next.get(key) ?? 0n);
  return last;
}

async function storePositions(
  transaction: EntityManager,
  { table, consumerGroup }: PositionsOf,
  last: Map<string, bigint>,
  topicIds: Map<string, string | null>,
): Promise<void> {
  if (last.size === 0) return;
  const updated = [...last.keys()].map(partitionOf);
  await transaction.query(
    `UPDATE ${table} AS cp SET next_offset = u.o, topic_id = COALESCE(u.id, cp.topic_id), updated_at = now()
     FROM unnest($2::text[], $3::int[], $4::bigint[], $5::text[]) AS u(t, p, o, id)
     WHERE cp.consumer_group = $1 AND cp.topic = u.t AND cp.partition = u.p`,
    [
      consumerGroup,
      updated.map(({ topic }) => topic),
      updated.map(({ partition }) => partition),
      updated.map(({ key }) => String(last.get(key))),
      updated.map(({ key }) => topicIds.get(key) ?? null),
    ],
  );
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The topic and partition a partitionKey names. */
function partitionOf(key: string): PartitionRef {
  const separator = key.lastIndexOf('\u0000');
  return { key, topic: key.slice(0, separator), partition: Number(key.slice(separator + 1)) };
}
