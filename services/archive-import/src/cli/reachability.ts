import { createConnection } from 'node:net';

function answers(broker: string, timeoutMs: number): Promise<boolean> {
  const split = broker.lastIndexOf(':');
  const host = broker.slice(0, split);
  const port = Number(broker.slice(split + 1));
  return new Promise((done) => {
    const socket = createConnection({ host, port, timeout: timeoutMs });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.once('timeout', () => finish(false));
  });
}

/**
 * A quick TCP check before the Kafka client's own retries (minutes of them): a CLI run against
 * a wrong address should say so in seconds.
 */
export async function anyBrokerAnswers(brokers: readonly string[], timeoutMs = 3_000): Promise<boolean> {
  const results = await Promise.all(brokers.map((broker) => answers(broker, timeoutMs)));
  return results.some(Boolean);
}
