import type { Kafka } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number;
  end: number;
  lag: number;
}

/**
 * How far a consumer group is behind: per partition, the end offset minus the committed one
 * (a partition with no commit counts from its start). Used by replay progress and benchmarks.
 */
export async function consumerGroupLag(kafka: Kafka, groupId: string, topics: string[]): Promise<PartitionLag[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const result: PartitionLag[] = [];
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const mine = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
      for (const end of ends) {
        const commit = Number(mine.find((entry) => entry.partition === end.partition)?.offset ?? '-1');
        const start = Number(end.low);
        const position = commit >= 0 ? commit : start;
        result.push({
          topic,
          partition: end.partition,
          committed: position,
          end: Number(end.high),
          lag: Math.max(0, Number(end.high) - position),
        });
      }
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Moves a consumer group's committed offsets back to the earliest offset, or to the first offset
 * at or after a timestamp. The group must have no active members (stop its consumers first):
 * Kafka refuses to move the offsets of a live group.
 */
export async function resetConsumerGroup(kafka: Kafka, groupId: string, topics: string[], from: 'earliest' | Date): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      if (from === 'earliest') {
        await admin.resetOffsets({ groupId, topic, earliest: true });
        continue;
      }
      const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, from.getTime());
      const ends = await admin.fetchTopicOffsets(topic);
      // No message at or after the timestamp: start at the end of that partition.
      const partitions = offsets.map(({ partition, offset }) => ({
        partition,
        offset: offset === '-1' ? (ends.find((end) => end.partition === partition)?.high ?? '0') : offset,
      }));
      await admin.setOffsets({ groupId, topic, partitions });
    }
  } finally {
    await admin.disconnect();
  }
}
