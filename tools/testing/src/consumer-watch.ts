import { afterAll, beforeAll } from 'vitest';
import { waitFor } from './wait-for';

/** A record of a dead-letter topic as a topic reader holds it. */
export interface DeadLetter {
  value: Buffer | null;
  headers: Record<string, string>;
}

interface DeadLetterReader {
  start(): Promise<void>;
  stop(): Promise<void>;
  received(): readonly DeadLetter[];
}

/**
 * What a watch uses of a consuming service's testbed: its start, its consumer group and its
 * libs/kafka runtime, named by shape (libs/kafka's own specs use this library, so it does not
 * depend on libs/kafka).
 */
export interface ConsumerTestbed {
  /** Provisions the testbed's topics and schema. */
  start(): Promise<unknown>;
  /** Starts the service under test on them. */
  startApp(): Promise<unknown>;
  readonly group: string;
  readonly runtime: {
    topic(name: string): string;
    reader(topic: string): DeadLetterReader;
    lag(group: string, topics: string[]): Promise<ReadonlyArray<{ lag: number }>>;
  };
}

/**
 * Registers, in the calling describe block, what runs around its tests: the testbed and its
 * service start, then a reader of the group's dead-letter topic from the beginning; after the
 * tests the reader stops, then the testbed (`stop`). Returns what the tests wait on.
 */
export function watchConsumer(bed: ConsumerTestbed, stop: () => Promise<void>): ConsumerWatch {
  const watch = new ConsumerWatch(bed);
  beforeAll(async () => {
    await bed.start();
    await bed.startApp();
    await watch.start();
  });
  afterAll(async () => {
    await watch.stop();
    await stop();
  });
  return watch;
}

/** A consumer group under test, seen from outside: its lag and its dead letters. */
export class ConsumerWatch {
  private reader: DeadLetterReader | undefined;

  constructor(private readonly bed: ConsumerTestbed) {}

  async start(): Promise<void> {
    const { runtime, group } = this.bed;
    this.reader = runtime.reader(runtime.topic(`${group}.dead-letter.v1`));
    await this.reader.start();
  }

  async stop(): Promise<void> {
    await this.reader?.stop();
  }

  /** Waits until the group has no lag on the topic: its committed offsets reach the end, every record applied or dead-lettered. */
  async waitForZeroLag(topic: string, description: string): Promise<void> {
    const { runtime, group } = this.bed;
    await waitFor(async () => (await runtime.lag(group, [topic])).every((partition) => partition.lag === 0), {
      timeoutMs: 45_000,
      description,
    });
  }

  /** Waits for `count` dead letters, and keys them by the messageId of the raw event each carries. */
  async waitForDeadLetters(count: number): Promise<{ letters: readonly DeadLetter[]; byMessageId: Map<string, DeadLetter> }> {
    const received = () => this.reader?.received() ?? [];
    const letters = await waitFor(() => received().length >= count && received(), { description: `${count} dead letters` });
    return { letters, byMessageId: new Map(letters.map((letter) => [messageIdOf(letter), letter])) };
  }
}

function messageIdOf(letter: DeadLetter): string {
  return (JSON.parse(letter.value?.toString('utf8') ?? 'null') as { data: { event: { messageId: string } } }).data.event.messageId;
}
