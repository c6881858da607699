import type { KafkaRuntime, OutgoingMessage } from '@touchstream/kafka';
import { topicWriter } from './topic-writer';

/**
 * The broker's ceiling on this machine now: pre-serialised messages through the same batching
 * producer, into a throw-away topic (`<prefix>.ceiling.v1`, deleted afterwards). Messages/s.
 */
export async function brokerCeiling(runtime: KafkaRuntime, messages: readonly OutgoingMessage[]): Promise<number> {
  const spec = { name: 'ceiling.v1', partitions: 6, retentionMs: 3_600_000, cleanupPolicy: 'delete' as const };
  await runtime.provision([spec]);
  const topic = runtime.topic(spec);
  try {
    const writer = topicWriter(runtime, topic);
    const started = performance.now();
    for (const message of messages) await writer.write(message);
    await writer.close();
    return messages.length / ((performance.now() - started) / 1000);
  } finally {
    await runtime.deleteTopics([topic]);
  }
}
