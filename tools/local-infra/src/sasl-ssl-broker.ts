import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { REPO_ROOT, type Log } from './infrastructure';

const run = promisify(execFile);

/** A broker's SASL_SSL listener and what a client needs for it, as `scripts/kafka env` prints it. */
export interface SaslSslBroker {
  /** host:port of the SASL_SSL listener. */
  brokers: string;
  caFile: string;
  /** A client certificate and key signed by the same CA (mTLS). */
  certFile: string;
  keyFile: string;
  username: string;
  passwordFile: string;
  /** Stops the broker when this process started it; a no-op for one given by the environment. */
  stop: () => Promise<void>;
}

const VARIABLES = {
  brokers: 'KAFKA_SASL_SSL_BROKERS',
  caFile: 'KAFKA_SASL_SSL_CA_FILE',
  certFile: 'KAFKA_SASL_SSL_CERT_FILE',
  keyFile: 'KAFKA_SASL_SSL_KEY_FILE',
  username: 'KAFKA_SASL_SSL_USERNAME',
  passwordFile: 'KAFKA_SASL_SSL_PASSWORD_FILE',
} as const;

function fromVariables(env: Record<string, string | undefined>, where: string): Omit<SaslSslBroker, 'stop'> {
  const missing = Object.values(VARIABLES).filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`${where} lacks ${missing.join(', ')}`);
  return Object.fromEntries(Object.entries(VARIABLES).map(([key, name]) => [key, env[name]])) as Omit<SaslSslBroker, 'stop'>;
}

/**
 * A broker with a SASL_SSL listener: the one KAFKA_SASL_SSL_BROKERS names (with the other
 * KAFKA_SASL_SSL_* lines `scripts/kafka env` prints; CI starts its broker with the listener and
 * exports them), else one this process starts with scripts/kafka on free ports and stops again
 * (its run directory removed).
 */
export async function provideSaslSslBroker(log: Log): Promise<SaslSslBroker> {
  if (process.env.KAFKA_SASL_SSL_BROKERS) {
    return { ...fromVariables(process.env, 'the environment (KAFKA_SASL_SSL_BROKERS is set)'), stop: () => Promise.resolve() };
  }
  const [port, controllerPort, saslSslPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_SASL_SSL_PORT: String(saslSslPort),
  };
  const script = (command: 'start' | 'stop' | 'env') =>
    run('bash', [resolve(REPO_ROOT, 'scripts/kafka'), command], { cwd: REPO_ROOT, env, maxBuffer: 10 * 1024 * 1024 });
  log(`kafka: starting a broker with a SASL_SSL listener on 127.0.0.1:${saslSslPort} (scripts/kafka)`);
  const stop = async () => {
    await script('stop');
    await rm(resolve(REPO_ROOT, '.cache', 'kafka', `run-${port}`), { recursive: true, force: true });
  };
  try {
    const { stdout } = await script('start');
    log(stdout.trim());
    const printed = Object.fromEntries(
      (await script('env')).stdout
        .split('\n')
        .map((line) => line.split('='))
        .filter((parts) => parts.length >= 2)
        .map(([name, ...value]) => [name, value.join('=')]),
    ) as Record<string, string>;
    return { ...fromVariables(printed, 'scripts/kafka env'), stop };
  } catch (error) {
    // Never leave a half-started broker behind.
    await stop().catch(() => undefined);
    throw error;
  }
}
