import type { EntityManager } from 'typeorm';
import { quoteIdent } from './data-source';

export interface Position {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Applies a batch's effect exactly once per Kafka offset: in one transaction it locks the stored
 * positions of the batch's partitions, drops messages at offsets already applied (a redelivery
 * after a lost Kafka commit), runs the effect on the rest, and stores the new positions. The
 * Kafka offset commit that follows is then only an optimisation: losing it loses nothing.
 */
export async function applyOncePerOffset<M extends Position>(
  manager: EntityManager,
  schema: string,
  consumerGroup: string,
  messages: readonly M[],
  effect: (fresh: M[], transaction: EntityManager) => Promise<void>,
): Promise<M[]> {
  const table = `${quoteIdent(schema)}.consumer_positions`;
  return manager.transaction(async (transaction) => {
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
    const rows: Array<{ topic: string; partition: number; next_offset: string }> = await transaction.query(
      `SELECT topic, partition, next_offset FROM ${table}
       WHERE consumer_group = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))
       FOR UPDATE`,
      [consumerGroup, topics, numbers],
    );
    const next = new Map(rows.map((row) => [partitionKey(row.topic, row.partition), BigInt(row.next_offset)]));
    const freshIndexes = offsets.flatMap((offset, index) => (offset >= (next.get(keys[index] as string) ?? 0n) ? [index] : []));
    const fresh = freshIndexes.map((index) => messages[index] as M);
    if (fresh.length > 0) await effect(fresh, transaction);
    // The new next offset per partition: one past the highest fresh offset.
    const last = new Map<string, bigint>();
    for (const index of freshIndexes) {
      const key = keys[index] as string;
      const offset = (offsets[index] as bigint) + 1n;
      if (offset > (last.get(key) ?? -1n)) last.set(key, offset);
    }
    if (last.size > 0) {
      const updated = [...last.keys()].map(partitionOf);
      await transaction.query(
        `UPDATE ${table} AS cp SET next_offset = u.o, updated_at = now()
         FROM unnest($2::text[], $3::int[], $4::bigint[]) AS u(t, p, o)
         WHERE cp.consumer_group = $1 AND cp.topic = u.t AND cp.partition = u.p`,
        [
          consumerGroup,
          updated.map(({ topic }) => topic),
          updated.map(({ partition }) => partition),
          updated.map(({ key }) => String(last.get(key))),
        ],
      );
    }
    return fresh;
  });
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The topic and partition a partitionKey names. */
function partitionOf(key: string): { key: string; topic: string; partition: number } {
  const separator = key.lastIndexOf('\u0000');
  return { key, topic: key.slice(0, separator), partition: Number(key.slice(separator + 1)) };
}
