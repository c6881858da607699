import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Logger } from '@touchstream/logging';
import { saslSslBroker, saslSslKafkaSettings, testLogger, testNamespace, waitFor, type SaslSslBroker } from '@touchstream/testing';
import { jsonDecoder } from './codec';
import type { KafkaSettings } from './config';
import { KafkaRuntime } from './runtime';
import { asAccessFailure, KafkaAccessError, type SaslMechanism } from './security';

const valueSchema = z.object({ n: z.number().int() });
const TOPIC = { name: 'secure.v1', partitions: 2, retentionMs: 3_600_000, cleanupPolicy: 'delete' as const };

/** A logger that keeps its lines, to show that a refused boot did not retry. */
function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger({ service: 'test', level: 'debug', sink: { write: (line) => void lines.push(line) } }), lines };
}

describe('libs/kafka over SASL_SSL (TLS with CA verification, SASL login)', () => {
  const namespace = testNamespace('saslssl');
  let broker: SaslSslBroker;
  const runtimes: KafkaRuntime[] = [];

  beforeAll(async () => {
    broker = await saslSslBroker();
  }, 120_000);

  afterAll(async () => {
    for (const runtime of runtimes) await runtime.shutdown();
    await broker?.stop();
  });

  const settingsFor = (mechanism: SaslMechanism, prefix = `${namespace.topicPrefix}.${mechanism}`): KafkaSettings =>
    saslSslKafkaSettings(broker, mechanism, prefix);

  async function roundTrip(settings: KafkaSettings, label: string): Promise<number[]> {
    const runtime = new KafkaRuntime(settings, testLogger());
    runtimes.push(runtime);
    await runtime.checkAccess();
    await runtime.provision([TOPIC]);
    await runtime.connectProducer();
    const topic = runtime.topic(TOPIC);
    await runtime.producer.send(
      topic,
      Array.from({ length: 20 }, (_, n) => ({ key: `k-${n % 3}`, value: JSON.stringify({ n }) })),
    );
    const seen: number[] = [];
    await runtime.startConsumer<z.infer<typeof valueSchema>>({
      groupId: `${namespace.id}-${label}`,
      topics: [topic],
      decode: jsonDecoder(valueSchema),
      handle: async (messages) => void seen.push(...messages.map((message) => message.value.n)),
    });
    await waitFor(() => seen.length >= 20, { timeoutMs: 45_000, description: `20 messages back over SASL_SSL (${label})` });
    return seen.sort((a, b) => a - b);
  }

  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`produces and consumes with SASL ${mechanism}`, { timeout: 90_000 }, async () => {
      await expect(roundTrip(settingsFor(mechanism), mechanism)).resolves.toEqual(Array.from({ length: 20 }, (_, n) => n));
    });
  }

  it('presents a client certificate when one is configured (mTLS beside SCRAM)', { timeout: 90_000 }, async () => {
    const base = settingsFor('scram-sha-512', `${namespace.topicPrefix}.mtls`);
    const settings = {
      ...base,
      tls: { ...base.tls, cert: readFileSync(broker.certFile, 'utf8'), key: readFileSync(broker.keyFile, 'utf8') },
    };
    await expect(roundTrip(settings, 'mtls')).resolves.toHaveLength(20);
  });

  it(
    'reads topic ids (Metadata v12) with the same TLS and login as the clients: plain, scram-sha-512 and mTLS',
    { timeout: 60_000 },
    async () => {
      const prefix = `${namespace.topicPrefix}.ids`;
      const plain = new KafkaRuntime(settingsFor('plain', prefix), testLogger());
      runtimes.push(plain);
      await plain.provision([TOPIC]);
      const topic = plain.topic(TOPIC);
      const id = (await plain.topicIds([topic])).get(topic);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/); // 16 bytes, base64url
      const scram = settingsFor('scram-sha-512', prefix);
      const mtls = {
        ...scram,
        tls: { ...scram.tls, cert: readFileSync(broker.certFile, 'utf8'), key: readFileSync(broker.keyFile, 'utf8') },
      };
      for (const settings of [scram, mtls]) {
        const runtime = new KafkaRuntime(settings, testLogger());
        runtimes.push(runtime);
        // The same incarnation whatever the login; a topic the broker does not know is left out.
        expect(await runtime.topicIds([topic, `${topic}.missing`])).toEqual(new Map([[topic, id]]));
      }
    },
  );

  it('reports a refused login on the topic-id request as one, not as an old broker', async () => {
    const settings = {
      ...settingsFor('scram-sha-512'),
      sasl: { mechanism: 'scram-sha-512' as const, username: broker.username, password: 'wrong' },
    };
    const refused = await new KafkaRuntime(settings, testLogger()).topicIds(['any.v1']).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).not.toMatch(/older than|Metadata up to/);
    expect(asAccessFailure(refused, settings)?.setting).toBe('KAFKA_SASL_PASSWORD');
  });

  it('refuses a wrong password at once, naming KAFKA_SASL_PASSWORD, and the boot steps do not retry it', async () => {
    const settings = {
      ...settingsFor('scram-sha-512'),
      sasl: { mechanism: 'scram-sha-512' as const, username: broker.username, password: 'wrong' },
    };
    const { logger, lines } = recordingLogger();
    const runtime = new KafkaRuntime(settings, logger);
    const refused = await runtime.checkAccess().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KafkaAccessError);
    expect((refused as KafkaAccessError).setting).toBe('KAFKA_SASL_PASSWORD');
    expect((refused as Error).message).toMatch(
      /^Kafka refused the SASL login \(scram-sha-512 as user ".+"\): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
    expect((refused as Error).message).not.toContain('wrong');
    // Past the first check too: provisioning fails with the same error, without a boot retry.
    await expect(runtime.provision([TOPIC])).rejects.toBeInstanceOf(KafkaAccessError);
    expect(lines.filter((line) => line.includes('retrying'))).toEqual([]);
  });

  it('refuses a broker certificate the configured CA did not sign, naming KAFKA_SSL_CA', async () => {
    // The client certificate is no CA: the broker's chain cannot be verified against it.
    const settings = { ...settingsFor('scram-sha-512'), tls: { ca: readFileSync(broker.certFile, 'utf8') } };
    const refused = await new KafkaRuntime(settings, testLogger()).checkAccess().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KafkaAccessError);
    expect((refused as KafkaAccessError).setting).toBe('KAFKA_SSL_CA');
    expect((refused as Error).message).toMatch(
      /TLS certificate is not trusted by the CA in KAFKA_SSL_CA: check KAFKA_SSL_CA \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE):/,
    );
  });

  it(
    'refuses at once, naming the setting, a client that leaves out the TLS or the SASL login the listener expects',
    { timeout: 90_000 },
    async () => {
      const secure = settingsFor('scram-sha-512');
      const refusal = async (settings: KafkaSettings) =>
        (await new KafkaRuntime(settings, testLogger()).checkAccess().catch((error: unknown) => error)) as KafkaAccessError;
      const withoutSasl = await refusal({ ...secure, sasl: undefined });
      expect(withoutSasl).toBeInstanceOf(KafkaAccessError);
      expect(withoutSasl.setting).toBe('KAFKA_SASL_MECHANISM');
      expect(withoutSasl.message).toContain('(TLS, no SASL login): does its listener expect a SASL login');
      const plaintext = await refusal({ ...secure, tls: undefined, sasl: undefined });
      expect(plaintext).toBeInstanceOf(KafkaAccessError);
      expect(plaintext.setting).toBe('KAFKA_SSL');
    },
  );

  it("refuses the broker's self-signed chain against the system trust store (no CA given)", async () => {
    const settings = { ...settingsFor('plain'), tls: {} };
    const refused = await new KafkaRuntime(settings, testLogger()).checkAccess().catch((error: unknown) => error);
    expect((refused as KafkaAccessError).setting).toBe('KAFKA_SSL_CA');
    expect((refused as Error).message).toContain("the system's trust store (no KAFKA_SSL_CA set)");
  });
});
