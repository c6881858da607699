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
    const partitions = [...new Set(messages.map((message) => `${message.topic}\u0000${message.partition}`))];
    const topics = partitions.map((key) => key.split('\u0000')[0] as string);
    const numbers = partitions.map((key) => Number(key.split('\u0000')[1]));
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
    const next = new Map(rows.map((row) => [`${row.topic}\u0000${row.partition}`, BigInt(row.next_offset)]));
    const fresh = messages.filter((message) => BigInt(message.offset) >= (next.get(`${message.topic}\u0000${message.partition}`) ?? 0n));
    if (fresh.length > 0) await effect(fresh, transaction);
    const last = new Map<string, bigint>();
    for (const message of fresh) {
      const key = `${message.topic}\u0000${message.partition}`;
      const offset = BigInt(message.offset) + 1n;
      if (offset > (last.get(key) ?? -1n)) last.set(key, offset);
    }
    if (last.size > 0) {
      const keys = [...last.keys()];
      await transaction.query(
        `UPDATE ${table} AS cp SET next_offset = u.o, updated_at = now()
         FROM unnest($2::text[], $3::int[], $4::bigint[]) AS u(t, p, o)
         WHERE cp.consumer_group = $1 AND cp.topic = u.t AND cp.partition = u.p`,
        [
          consumerGroup,
          keys.map((key) => key.split('\u0000')[0]),
          keys.map((key) => Number(key.split('\u0000')[1])),
          keys.map((key) => String(last.get(key))),
        ],
      );
    }
    return fresh;
  });
}
