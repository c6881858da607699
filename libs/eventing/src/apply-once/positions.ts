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
  const table = `${quoteIdent(schema)}.consumer_positions`;
  const changes: Array<{ log: PartitionLog; change: IncarnationChange }> = [];
  const fresh = await manager.transaction(async (transaction) => {
    // Each message's partition key and offset, computed once: this runs for every consumed message,
    // and rebuilding keys and parsing offsets per use showed up in the services' profiles.
    const keys = messages.map((message) => partitionKey(message.topic, message.partition));
    const offsets = messages.map((message) => BigInt(message.offset));
    const partitions = [...new Set(keys)].map(partitionOf);
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
    const rows: Array<{ topic: string; partition: number; next_offset: string; topic_id: string | null }> = await transaction.query(
      `SELECT topic, partition, next_offset, topic_id FROM ${table}
       WHERE consumer_group = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))
       FOR UPDATE`,
      [consumerGroup, topics, numbers],
    );
    const logs = new Map<string, PartitionLog>();
    messages.forEach((message, index) => {
      if (message.log && !logs.has(keys[index] as string)) logs.set(keys[index] as string, message.log);
    });
    const stored = new Map(rows.map((row) => [partitionKey(row.topic, row.partition), row]));
    const next = new Map<string, bigint>();
    /** Partitions whose stored topic id is to be written (a new one, or the first one known). */
    const topicIds = new Map<string, string | null>();
    for (const { key, topic, partition } of partitions) {
      const row = stored.get(key);
      const log = logs.get(key);
      const nextOffset = BigInt(row?.next_offset ?? 0);
      const storedTopicId = row?.topic_id ?? null;
      next.set(key, nextOffset);
      if (!log) continue;
      if (log.topicId !== null && log.topicId !== storedTopicId) topicIds.set(key, log.topicId);
      const reason = incarnationReason({ nextOffset, topicId: storedTopicId }, log);
      if (reason === null) continue;
      // Applied again from the batch's first offset: the consumer reads a new incarnation from its start.
      const first = offsets.reduce<bigint | null>(
        (low, offset, index) => (keys[index] === key && (low === null || offset < low) ? offset : low),
        null,
      );
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
    const freshIndexes = offsets.flatMap((offset, index) => (offset >= (next.get(keys[index] as string) ?? 0n) ? [index] : []));
    const fresh = freshIndexes.map((index) => messages[index] as M);
    if (fresh.length > 0) await effect(fresh, transaction);
    // The new next offset per partition: one past the highest fresh offset; a partition found to
    // be a new incarnation with nothing fresh keeps the position it was set back to.
    const last = new Map<string, bigint>();
    for (const { change } of changes) last.set(partitionKey(change.topic, change.partition), BigInt(change.reappliedFrom));
    for (const index of freshIndexes) {
      const key = keys[index] as string;
      const offset = (offsets[index] as bigint) + 1n;
      if (offset > (last.get(key) ?? -1n)) last.set(key, offset);
    }
    for (const key of topicIds.keys()) if (!last.has(key)) last.set(key, next.get(key) ?? 0n);
    if (last.size > 0) {
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
    return fresh;
  });
  for (const { log, change } of changes) log.newIncarnation?.(change);
  return fresh;
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The topic and partition a partitionKey names. */
function partitionOf(key: string): { key: string; topic: string; partition: number } {
  const separator = key.lastIndexOf('\u0000');
  return { key, topic: key.slice(0, separator), partition: Number(key.slice(separator + 1)) };
}
