import { deadLetterTopic } from '@touchstream/contracts';
import type { KafkaRuntime, OutgoingMessage } from '@touchstream/kafka';

/**
 * Where a schema's relay sends the dead-letter records of rows the broker refused:
 * `<prefix>.outbox-relay.<schema>.dead-letter.v1`, created on first use (it is rare, and the
 * relay starts before anything else would provision it).
 */
export function outboxDeadLetters(kafka: KafkaRuntime, schema: string): (message: OutgoingMessage) => Promise<void> {
  const group = `outbox-relay.${schema}`;
  let provisioned: Promise<unknown> | null = null;
  return async (message) => {
    provisioned ??= kafka.provision([], [group]).catch((error: unknown) => {
      provisioned = null;
      throw error;
    });
    await provisioned;
    await kafka.producer.send(kafka.topic(deadLetterTopic(group)), [message]);
  };
}
