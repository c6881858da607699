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
    // One pass to find the partitions and parse each offset once (this runs for every consumed
    // message: string keys and BigInt parsing per message showed up in the services' profiles).
    const offsets = messages.map((message) => BigInt(message.offset));
    const partitions = new Map<string, Map<number, bigint>>();
    for (const message of messages) {
      let ofTopic = partitions.get(message.topic);
      if (!ofTopic) partitions.set(message.topic, (ofTopic = new Map<number, bigint>()));
      ofTopic.set(message.partition, 0n);
    }
    const topics: string[] = [];
    const numbers: number[] = [];
    for (const [topic, ofTopic] of partitions) {
      for (const partition of ofTopic.keys()) {
        topics.push(topic);
        numbers.push(partition);
      }
    }
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
    for (const row of rows) partitions.get(row.topic)?.set(row.partition, BigInt(row.next_offset));
    const nextOf = (message: M) => partitions.get(message.topic)?.get(message.partition) ?? 0n;
    const fresh = messages.filter((message, index) => (offsets[index] as bigint) >= nextOf(message));
    if (fresh.length > 0) await effect(fresh, transaction);
    // The new next offset per partition: one past the highest fresh offset.
    const last = new Map<string, Map<number, bigint>>();
    messages.forEach((message, index) => {
      const offset = (offsets[index] as bigint) + 1n;
      if (offset <= nextOf(message)) return;
      let ofTopic = last.get(message.topic);
      if (!ofTopic) last.set(message.topic, (ofTopic = new Map<number, bigint>()));
      if (offset > (ofTopic.get(message.partition) ?? -1n)) ofTopic.set(message.partition, offset);
    });
    if (last.size > 0) {
      const updates = [...last].flatMap(([topic, ofTopic]) => [...ofTopic].map(([partition, offset]) => ({ topic, partition, offset })));
      await transaction.query(
        `UPDATE ${table} AS cp SET next_offset = u.o, updated_at = now()
         FROM unnest($2::text[], $3::int[], $4::bigint[]) AS u(t, p, o)
         WHERE cp.consumer_group = $1 AND cp.topic = u.t AND cp.partition = u.p`,
        [
          consumerGroup,
          updates.map((update) => update.topic),
          updates.map((update) => update.partition),
          updates.map((update) => String(update.offset)),
        ],
      );
    }
    return fresh;
  });
}
