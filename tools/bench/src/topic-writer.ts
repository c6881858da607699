import type { KafkaRuntime, OutgoingMessage } from '@touchstream/kafka';

/** Bytes per produce call: one call is one request, and the broker refuses requests over ~1 MB. */
export const CHUNK_BYTES = 800_000;
/** Produce calls awaiting acks at once. */
const IN_FLIGHT = 4;

export interface TopicWriter {
  write(message: OutgoingMessage): Promise<void>;
  /** Sends what is buffered and waits for every ack. */
  close(): Promise<{ count: number; bytes: number }>;
}

/**
 * Fills a topic as fast as libs/kafka's batching producer takes it: messages are cut into
 * ~800 KB produce calls with a few in flight, which is how the benchmarks write their input and
 * measure the broker's ceiling.
 */
export function topicWriter(runtime: KafkaRuntime, topic: string): TopicWriter {
  const inFlight = new Set<Promise<void>>();
  let chunk: OutgoingMessage[] = [];
  let chunkBytes = 0;
  let bytes = 0;
  let count = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const sending = runtime.producer.send(topic, chunk).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
    chunk = [];
    chunkBytes = 0;
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  };
  return {
    async write(message) {
      const size = Buffer.byteLength(message.value);
      if (chunkBytes + size > CHUNK_BYTES) await flush();
      chunk.push(message);
      chunkBytes += size;
      bytes += size;
      count += 1;
    },
    async close() {
      await flush();
      await Promise.all(inFlight);
      return { count, bytes };
    },
  };
}
