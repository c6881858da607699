import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saslSslBroker, saslSslEnv, startServiceProcess, waitFor, type ReceivedEvent, type SaslSslBroker } from '@touchstream/testing';
import { Pipeline, SERVICES } from './pipeline';

const t0 = Date.parse('2026-03-02T10:00:00.000Z');

/** The error lines a service wrote before it exited (JSON log lines at level error). */
function errorLines(output: string): Array<{ msg: string; setting?: string }> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; msg: string; setting?: string })
    .filter((line) => line.level === 'error');
}

/**
 * All four services as processes against a broker that only lets them in over SASL_SSL: TLS
 * verified against the broker's CA, SCRAM-SHA-512 login, password from a file. The broker is the one
 * CI started with a SASL_SSL listener, or one this file starts (scripts/kafka) and stops.
 */
describe('the whole pipeline over SASL_SSL (SCRAM-SHA-512, TLS verified against the CA)', () => {
  let broker: SaslSslBroker;
  let pipeline: Pipeline;

  beforeAll(async () => {
    broker = await saslSslBroker();
    pipeline = new Pipeline('e2e-saslssl', saslSslEnv(broker, 'scram-sha-512'));
    const started = performance.now();
    await pipeline.start();
    // A figure for docs/operations.md, not an assertion: boots are as slow as the machine is.
    process.stdout.write(`[sasl-ssl e2e] four services booted over SASL_SSL in ${Math.round(performance.now() - started)} ms\n`);
  }, 300_000);

  afterAll(async () => {
    await pipeline?.stop();
    await broker?.stop();
  });

  async function webhook(event: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${pipeline.url('ingest')}/v1/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Segment.io/1.0' },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(200);
  }

  it("carries a visitor's search visit and sign-up through every service to Segment", { timeout: 150_000 }, async () => {
    await webhook({
      type: 'page',
      messageId: 'sasl-m-1',
      anonymousId: 'sasl-anon-1',
      timestamp: new Date(t0).toISOString(),
      properties: { url: 'https://shop.example/', referrer: 'https://www.google.com/search?q=trail+running+shoes' },
    });
    await webhook({
      type: 'identify',
      messageId: 'sasl-m-2',
      anonymousId: 'sasl-anon-1',
      userId: 'sasl-user-1',
      timestamp: new Date(t0 + 60_000).toISOString(),
    });
    const traits = await waitFor(
      () => {
        const identify = pipeline.receiver
          .accepted()
          .filter((event: ReceivedEvent) => event.type === 'identify' && event.userId === 'sasl-user-1')
          .at(-1);
        return (identify?.traits as Record<string, unknown> | undefined)?.source_first_channel === 'Organic Search' && identify?.traits;
      },
      { timeoutMs: 90_000, description: "sasl-user-1's identify with its first touch" },
    );
    expect(traits).toMatchObject({ source_first_source: 'google', source_first_medium: 'organic', source_last_channel: 'Organic Search' });
    const track = await waitFor(() =>
      pipeline.receiver.accepted().find((event: ReceivedEvent) => event.type === 'track' && event.anonymousId === 'sasl-anon-1'),
    );
    expect(track).toMatchObject({ event: 'Source Identified', timestamp: new Date(t0).toISOString() });
  });

  for (const service of ['identity', 'ingest'] as const) {
    it(`${service}: a wrong password stops the boot with one line naming KAFKA_SASL_PASSWORD and exit code 1`, async () => {
      const env = { ...pipeline.env(service), KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: 'not-the-password' };
      const failure = await startServiceProcess(service, env, SERVICES[service]).then(
        async (running) => {
          await running.stop();
          return undefined;
        },
        (error: unknown) => (error as Error).message,
      );
      expect(failure).toContain(`${service} exited with code 1 before it was ready`);
      const errors = errorLines(failure ?? '');
      expect(errors).toEqual([
        { ...errors[0], msg: expect.stringMatching(new RegExp(`^${service} cannot start: Kafka refused the SASL login`)) },
      ]);
      expect(errors[0]?.setting).toBe('KAFKA_SASL_PASSWORD');
      expect(failure).not.toContain('not-the-password');
    });
  }

  it("segment-sink: a CA that did not sign the broker's certificate stops the boot with one line naming KAFKA_SSL_CA", async () => {
    const env = { ...pipeline.env('segment-sink'), KAFKA_SSL_CA_FILE: broker.certFile };
    const failure = await startServiceProcess('segment-sink', env, SERVICES['segment-sink']).then(
      async (running) => {
        await running.stop();
        return undefined;
      },
      (error: unknown) => (error as Error).message,
    );
    expect(failure).toContain('segment-sink exited with code 1 before it was ready');
    const errors = errorLines(failure ?? '');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      setting: 'KAFKA_SSL_CA',
      msg: expect.stringMatching(/^segment-sink cannot start: the Kafka broker's TLS certificate is not trusted/),
    });
  });
});
